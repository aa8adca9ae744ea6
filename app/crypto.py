"""Application-level encryption for PHI and keyed hashes (blind indexes) to find it.

The key comes from settings and never reaches the database. Each value is sealed
with AES-256-GCM under a fresh 96-bit nonce, with the row id and column name as
associated data, so a ciphertext copied to another row or column fails to open.
Blind indexes are HMAC-SHA256 over a normalised value, under a key derived
separately from the master key, which allows exact-match lookups only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"


class PhiCipher:
    def __init__(self, master_key: bytes) -> None:
        self._aead = AESGCM(hashlib.sha256(b"medgraph/phi-encryption\x00" + master_key).digest())
        self._index_key = hashlib.sha256(b"medgraph/phi-blind-index\x00" + master_key).digest()

    def seal(self, plaintext: str | None, *, row_id: str, column: str) -> bytes | None:
        if plaintext is None:
            return None
        nonce = os.urandom(12)
        aad = f"{row_id}:{column}".encode()
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext.encode(), aad)

    def open(self, sealed: bytes | None, *, row_id: str, column: str) -> str | None:
        if sealed is None:
            return None
        sealed = bytes(sealed)
        if sealed[:1] != _VERSION:
            raise ValueError("unknown ciphertext version")
        aad = f"{row_id}:{column}".encode()
        return self._aead.decrypt(sealed[1:13], sealed[13:], aad).decode()

    def blind_index(self, *parts: str) -> bytes:
        normalised = "\x1f".join(" ".join(p.split()).casefold() for p in parts)
        return hmac.new(self._index_key, normalised.encode(), hashlib.sha256).digest()


@lru_cache(maxsize=4)
def cipher_for(master_key: bytes) -> PhiCipher:
    return PhiCipher(master_key)
