"""Builds each request's context: verifies the bearer token and wires the principal loader."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.tokens import InvalidToken, decode_access_token
from app.context import RequestContext, SignInGuards
from app.crypto import PhiCipher
from app.settings import Settings
from modules.tenancy import load_principal

REASON_HEADER = "x-access-reason"


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else value.strip()


def build_context(
    *,
    settings: Settings,
    engine: AsyncEngine,
    cipher: PhiCipher,
    guards: SignInGuards,
    authorization: str | None,
    headers: Any,
    client_ip: str | None,
    request_id: str | None = None,
    request: Any = None,
    response: Any = None,
) -> RequestContext:
    claims, auth_error = None, None
    token = _bearer(authorization)
    if token:
        try:
            claims = decode_access_token(settings, token)
        except InvalidToken as exc:
            auth_error = str(exc)
    return RequestContext(
        settings=settings,
        engine=engine,
        cipher=cipher,
        principal_loader=load_principal,
        guards=guards,
        request_id=request_id or uuid.uuid4().hex,
        request=request,
        response=response,
        claims=claims,
        auth_error=auth_error,
        access_reason=headers.get(REASON_HEADER),
        client_ip=client_ip,
        user_agent=headers.get("user-agent"),
    )
