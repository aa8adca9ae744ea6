"""The fast lane: a repeated query answered before Starlette's routing and the GraphQL view.

Once this process has parsed, validated and planned a document (the pipeline did, for an
earlier request), a later request with the same text, from a caller seen before, with
variables that pass the same checks, is answered by one statement whose JSON PostgreSQL
writes (`FastReads`, compiled reads). Every limit and rule a document must pass depends on
its text alone, so what passed once passes again; the caller and the variables are checked
per request.

What a client sees is what the GraphQL view would send: the same media type negotiation,
status, headers (a GET's caching headers included) and body. Anything this lane is not
sure of (another path or method, an Accept it would refuse, a body that is not one JSON
object, a persisted query it cannot resolve, a document or caller not seen before) goes to
the pipeline untouched, body included. In verify mode (the test suite's) the pipeline
answers every request this lane answers too, and a difference is reported.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import parse_qsl

import orjson

from app.body_limit import ASGIApp, Message, Receive, Scope, Send, replay
from app.context import RequestContext
from app.persisted import PersistedQueries, PersistedQueryError

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
PATH = "/graphql"


class FastReads(Protocol):
    """Answers a query without the GraphQL pipeline (compiled reads, whose plans exist only
    for documents the pipeline has validated): the whole response body, or None to let the
    pipeline answer."""

    verify: bool

    async def respond(
        self, ctx: RequestContext, query: str, variables: dict[str, Any] | None, name: str | None
    ) -> bytes | None: ...

    def differs(self, request: dict[str, Any], ours: Any, theirs: Any) -> None:
        """Verify mode: report that the pipeline answered this request otherwise."""


class FastLane:
    def __init__(self, app: ASGIApp, reads: FastReads, persisted: PersistedQueries, state: Any) -> None:
        self.app = app
        self.reads = reads
        self.persisted = persisted
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        media = negotiate(headers.get("accept"))
        message: Message | None = None
        if scope["method"] == "POST":
            message = await receive()  # the whole body (BodySizeLimit, outside, has read it)
            request = _post_request(headers, message)
        else:
            request = _get_request(scope)
        answer = None
        if media is not None and request is not None:
            answer = await self._answer(scope, headers, request)
        replayed = receive if message is None else replay(receive, message)
        if answer is None:
            await self.app(scope, replayed, send)
            return
        response = _response(scope, headers, media or JSON, answer)
        if self.reads.verify:
            await self._verify(scope, replayed, request or {}, response)
        await _send(send, *response)

    async def _answer(self, scope: Scope, headers: dict[str, str], request: dict[str, Any]) -> bytes | None:
        try:
            resolved = self.persisted.resolve(request.get("query"), request.get("extensions"))
        except PersistedQueryError:
            return None  # the pipeline gives the protocol's answer
        if resolved.query is None:
            return None
        client = scope.get("client")
        ctx = self.state.context(
            authorization=headers.get("authorization"),
            headers=headers,
            client_ip=client[0] if client else None,
            request_id=scope.get("state", {}).get("request_id"),
        )
        variables, name = request.get("variables"), request.get("operationName")
        body = await self.reads.respond(ctx, resolved.query, variables, name)
        if body is not None:
            self.persisted.remember(resolved)
        return body

    async def _verify(
        self, scope: Scope, receive: Receive, request: dict[str, Any], ours: tuple[int, list, bytes]
    ) -> None:
        """Verify mode: the pipeline answers the same request; status, media type, data and
        errors must be the same (the development trace may differ)."""
        sent: dict[str, Any] = {"body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
                sent["type"] = dict(message.get("headers") or []).get(b"content-type")
            elif message["type"] == "http.response.body":
                sent["body"] += message.get("body", b"")

        await self.app(scope, receive, capture)
        status, headers, body = ours
        mine = (status, dict(headers).get(b"content-type"), _comparable(body))
        theirs = (sent.get("status"), sent.get("type"), _comparable(sent["body"]))
        if mine != theirs:
            self.reads.differs(request, mine, theirs)


def negotiate(accept: str | None) -> str | None:
    """Pick the response media type from an Accept header (None: nothing acceptable)."""
    if not accept:
        return JSON
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        chosen = _CANDIDATES.get(media.lower())
        if chosen and quality > 0 and (best is None or (quality, -position) > (best[0], best[1])):
            best = (quality, -position, chosen)
    return best[2] if best else None


_CANDIDATES = {GRAPHQL_RESPONSE: GRAPHQL_RESPONSE, JSON: JSON, "application/*": GRAPHQL_RESPONSE, "*/*": JSON}


def cache_control(authorization: str | None, status: int) -> str:
    """A GET's Cache-Control. An answer to a caller who signs the request may hold PHI and
    is theirs alone: no cache keeps it, not even the browser's. An anonymous answer depends
    on nothing but the URL and Accept (no cookies count), so shared caches may keep a
    success for a minute: what APQ's short GETs are for. Refusals are never kept (a
    PersistedQueryNotFound turns into a hit once the client has sent the text)."""
    if authorization is not None or status != 200:
        return "private, no-store"
    return "public, max-age=60"


def _headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name (a repeated one: the last)."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _post_request(headers: dict[str, str], message: Message) -> dict[str, Any] | None:
    content_type = headers.get("content-type", "")
    if message.get("type") != "http.request" or content_type.split(";")[0].strip().lower() != JSON:
        return None
    try:
        value = orjson.loads(message.get("body", b""))
    except orjson.JSONDecodeError:
        return None
    return value if _well_formed(value) else None


def _get_request(scope: Scope) -> dict[str, Any] | None:
    try:
        pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    except ValueError:
        return None
    params = dict(pairs)
    if len(params) != len(pairs) or "query" not in params:
        return None  # a repeated parameter, or a hash alone: the pipeline judges it
    request: dict[str, Any] = {"query": params.pop("query")}
    request["operationName"] = params.pop("operationName", None)
    for name in ("variables", "extensions"):
        raw = params.pop(name, None)
        if raw:
            try:
                request[name] = orjson.loads(raw)
            except orjson.JSONDecodeError:
                return None
    return request if not params and _well_formed(request) else None


def _well_formed(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("query"), str | None)
        and isinstance(value.get("operationName"), str | None)
        and isinstance(value.get("variables"), dict | None)
        and isinstance(value.get("extensions"), dict | None)
    )


def _response(scope: Scope, headers: dict[str, str], media: str, body: bytes) -> tuple[int, list, bytes]:
    listed = [
        (b"content-length", str(len(body)).encode()),
        (b"content-type", f"{media}; charset=utf-8".encode()),
    ]
    if scope["method"] == "GET":
        listed.append((b"cache-control", cache_control(headers.get("authorization"), 200).encode()))
        listed.append((b"vary", b"Accept, Authorization"))
    return 200, listed, body


async def _send(send: Send, status: int, headers: list, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _comparable(body: bytes) -> Any:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    if isinstance(value, dict):
        value.pop("extensions", None)
        return orjson.dumps(value)  # key order counts
    return body


__all__ = ["FastLane", "FastReads", "cache_control", "negotiate"]
