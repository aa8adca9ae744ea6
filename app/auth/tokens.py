"""Access tokens (short-lived HS256 JWTs) and refresh tokens (opaque, stored hashed).

An access token carries the user, the tenant, the role keys and the session (`sid`,
the refresh-token family it was issued with): once that session ends (sign-out, a
reused refresh token, a new password), its access tokens are refused on their next
request, not at expiry. Only HS256 is accepted, so `alg: none` and tokens signed with
another key or algorithm fail.

A refresh token is `<tenant uuid hex>.<secret>`: the tenant part lets the server open a
tenant-scoped transaction to find it; only its SHA-256 is stored. The first of a session
is random; each rotation's successor is derived from the token it replaces (an HMAC
under a server key), so two tabs that refresh with the same token at once get the same
successor without the server keeping any token in the clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

from app.settings import Settings

ALGORITHM = "HS256"


class InvalidToken(Exception):
    """The token is malformed, forged, expired or of the wrong kind. The message is safe."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    roles: tuple[str, ...]
    expires_at: int
    session_id: uuid.UUID


def issue_access_token(
    settings: Settings, user_id: uuid.UUID, tenant_id: uuid.UUID, roles: list[str], session_id: uuid.UUID
) -> tuple[str, int]:
    now = int(time.time())
    expires_at = now + settings.access_token_ttl_seconds
    payload = {
        "iss": settings.jwt_issuer,
        "sub": str(user_id),
        "tid": str(tenant_id),
        "sid": str(session_id),
        "roles": roles,
        "typ": "access",
        "iat": now,
        "exp": expires_at,
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(payload, settings.jwt_secret, algorithm=ALGORITHM), expires_at


_VERIFIED: dict[tuple[str, str, str], AccessClaims] = {}
_VERIFIED_MAX = 4096


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    """The claims of a valid access token. A token whose signature was checked once is
    remembered (a client sends the same one for its lifetime): later requests only check
    that it has not expired."""
    key = (settings.jwt_secret, settings.jwt_issuer, token)
    claims = _VERIFIED.get(key)
    if claims is not None:
        if claims.expires_at <= time.time():
            raise InvalidToken("Access token has expired")
        return claims
    claims = _decode(settings, token)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()  # a burst of new tokens: start over rather than track ages
    _VERIFIED[key] = claims
    return claims


def _decode(settings: Settings, token: str) -> AccessClaims:
    try:
        payload = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "tid", "sid", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("Access token has expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("Access token is invalid") from exc
    if payload.get("typ") != "access":
        raise InvalidToken("Access token is invalid")
    sub, tid, sid, roles = (
        payload.get("sub"),
        payload.get("tid"),
        payload.get("sid"),
        payload.get("roles", []),
    )
    if not all(isinstance(v, str) for v in (sub, tid, sid)) or not isinstance(roles, list):
        raise InvalidToken("Access token is invalid")
    try:
        return AccessClaims(
            user_id=uuid.UUID(sub),
            tenant_id=uuid.UUID(tid),
            roles=tuple(str(r) for r in roles),
            expires_at=int(payload["exp"]),
            session_id=uuid.UUID(sid),
        )
    except (ValueError, TypeError) as exc:
        raise InvalidToken("Access token is invalid") from exc


def new_refresh_token(tenant_id: uuid.UUID) -> tuple[str, bytes]:
    """Return the token for the client and the hash to store."""
    token = f"{tenant_id.hex}.{secrets.token_urlsafe(32)}"
    return token, hash_refresh_token(token)


def successor_refresh_token(settings: Settings, token: str) -> tuple[str, bytes]:
    """The token that replaces `token` when it is rotated, and the hash to store."""
    head, _, _ = token.partition(".")
    key = hashlib.sha256(b"medgraph/refresh-successor\x00" + settings.jwt_secret.encode()).digest()
    secret = base64.urlsafe_b64encode(hmac.new(key, token.encode(), hashlib.sha256).digest()).decode()
    successor = f"{head}.{secret.rstrip('=')}"
    return successor, hash_refresh_token(successor)


def hash_refresh_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def refresh_token_tenant(token: str) -> uuid.UUID:
    head, _, secret = token.partition(".")
    if not secret or len(token) > 200:
        raise InvalidToken("Refresh token is invalid")
    try:
        return uuid.UUID(hex=head)
    except ValueError as exc:
        raise InvalidToken("Refresh token is invalid") from exc
