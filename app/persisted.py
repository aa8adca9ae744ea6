"""Persisted queries: Apollo's automatic persisted queries (APQ) and an allow-list.

A client sends `extensions.persistedQuery = {"version": 1, "sha256Hash": <hex>}`,
with or without the query text:

- hash alone, known: the remembered text runs;
- hash alone, unknown: `PersistedQueryNotFound` (PERSISTED_QUERY_NOT_FOUND), and the
  client sends the hash again with the text;
- hash and text: the text must hash to it (PERSISTED_QUERY_HASH_MISMATCH otherwise);
  it runs, and is remembered once it has parsed and validated (`remember`), so a
  document the limits or the schema refuse never takes room in the store.

Documents registered from `MEDGRAPH_PERSISTED_DOCUMENTS` (each file's exact text, by
its sha256) are always known. With `MEDGRAPH_PERSISTED_ONLY` they are the only
documents that run: anything else is PERSISTED_QUERY_NOT_ALLOWED before it is parsed,
and no text is remembered.

The store is per process and bounded by the bytes of text it holds (least recently used
first out), so another process may answer NotFound for a hash this one knows: the
client's retry with the text registers it there too. Persisted texts reach the document
pipeline like sent ones, so every document limit applies to them unchanged.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.settings import Settings

_HASH = re.compile(r"[0-9a-fA-F]{64}")


class PersistedQueryError(Exception):
    """A request the persisted-query protocol refuses before any document is parsed.

    `status` is the HTTP status whatever the response's media type: Apollo Server answers
    NotFound with 200 (no client error handling may hide it from the link that retries),
    the rest with 4xx."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    @property
    def error(self) -> dict[str, Any]:
        return {"message": self.message, "extensions": {"code": self.code}}


def not_found() -> PersistedQueryError:
    # Apollo clients match this message (older ones) or code (newer) to send the text.
    return PersistedQueryError("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound", status=200)


def not_allowed() -> PersistedQueryError:
    return PersistedQueryError(
        "PERSISTED_QUERY_NOT_ALLOWED",
        "Only registered documents may run here; send the hash of one (extensions.persistedQuery)",
        status=403,
    )


def bad_extensions(message: str) -> PersistedQueryError:
    return PersistedQueryError("BAD_EXTENSIONS", message)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode(errors="surrogatepass")).hexdigest()


def requested_hash(extensions: object) -> str | None:
    """The hash `extensions.persistedQuery` asks for (lowercase), None without one;
    a malformed one is refused with a stable code."""
    if extensions is None:
        return None
    if not isinstance(extensions, dict):
        raise bad_extensions("`extensions` must be a JSON object")
    persisted = extensions.get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict):
        raise bad_extensions("`extensions.persistedQuery` must be an object")
    version = persisted.get("version")
    if type(version) is not int or version != 1:  # not True, not 1.0, not "1"
        raise PersistedQueryError(
            "PERSISTED_QUERY_VERSION_NOT_SUPPORTED", "Unsupported persisted query version"
        )
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str) or not _HASH.fullmatch(sha):
        raise bad_extensions("`extensions.persistedQuery.sha256Hash` must be 64 hexadecimal digits")
    return sha.lower()


class QueryStore:
    """Query texts by hash, least recently used out first, bounded by their UTF-8 bytes."""

    def __init__(self, budget: int, largest: int) -> None:
        self.budget = budget
        self.largest = min(budget, largest)
        self.size = 0
        self._texts: OrderedDict[str, tuple[str, int]] = OrderedDict()

    def get(self, sha: str) -> str | None:
        entry = self._texts.get(sha)
        if entry is None:
            return None
        self._texts.move_to_end(sha)
        return entry[0]

    def put(self, sha: str, text: str) -> None:
        size = len(text.encode(errors="surrogatepass"))
        if size > self.largest or sha in self._texts:
            return
        self._texts[sha] = (text, size)
        self.size += size
        while self.size > self.budget:
            _, (_, evicted) = self._texts.popitem(last=False)
            self.size -= evicted

    def __len__(self) -> int:
        return len(self._texts)


@dataclass(frozen=True, slots=True)
class Registered:
    """The documents read from a directory at startup: text and file name by hash."""

    texts: dict[str, str]
    names: dict[str, str]

    @classmethod
    def read(cls, directory: Path) -> Registered:
        texts: dict[str, str] = {}
        names: dict[str, str] = {}
        if directory.is_dir():
            for path in sorted(directory.rglob("*.graphql")):
                text = path.read_bytes().decode()  # exactly: no newline translation
                sha = sha256_hex(text)
                texts[sha] = text
                names.setdefault(sha, path.relative_to(directory).as_posix())
        return cls(texts, names)

    def manifest(self) -> dict[str, str]:
        """`{sha256: file name}`, for a front-end build to check its hashes against."""
        return dict(sorted(self.names.items()))


@dataclass(frozen=True, slots=True)
class Resolved:
    query: str | None
    register: str | None = None  # the hash to remember the text by once it validates


class PersistedQueries:
    """What every request of one process shares: the registered documents and the store."""

    def __init__(self, settings: Settings, registered: Registered | None = None) -> None:
        self.only = settings.persisted_only
        self.registered = (
            registered if registered is not None else Registered.read(settings.persisted_documents)
        )
        # Never a text longer than a request may send: the pipeline would refuse it anyway.
        self.store = QueryStore(settings.apq_cache_bytes, settings.max_query_bytes)
        if self.only and not self.registered.texts:
            raise SystemExit(
                "MEDGRAPH_PERSISTED_ONLY is set but MEDGRAPH_PERSISTED_DOCUMENTS "
                f"({settings.persisted_documents}) holds no .graphql file: every request would be refused"
            )

    def resolve(self, query: str | None, extensions: object) -> Resolved:
        """The text to run; raises PersistedQueryError for what the protocol refuses."""
        sha = requested_hash(extensions)
        if sha is None:
            if self.only and query is not None and sha256_hex(query) not in self.registered.texts:
                raise not_allowed()
            return Resolved(query)
        if query is None:
            text = self.registered.texts.get(sha)
            if text is None and self.only:
                raise not_allowed()
            text = text if text is not None else self.store.get(sha)
            if text is None:
                raise not_found()
            return Resolved(text)
        if sha256_hex(query) != sha:
            # Else a client could bind a hash it did not compute to a text of its choosing.
            raise PersistedQueryError("PERSISTED_QUERY_HASH_MISMATCH", "provided sha does not match query")
        if sha in self.registered.texts:
            return Resolved(query)
        if self.only:
            raise not_allowed()
        return Resolved(query, register=sha)

    def remember(self, resolved: Resolved) -> None:
        """Store a text sent with its hash, now that it has parsed and validated."""
        if resolved.register is not None and resolved.query is not None:
            self.store.put(resolved.register, resolved.query)


__all__ = [
    "PersistedQueries",
    "PersistedQueryError",
    "QueryStore",
    "Registered",
    "Resolved",
    "requested_hash",
    "sha256_hex",
]
