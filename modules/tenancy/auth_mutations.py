"""Sign-in, token refresh and sign-out."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.types import Info

from app.context import RequestContext
from app.db import scope_to_tenant
from modules.tenancy.errors import TenancyError, TenancyErrorCode
from modules.tenancy.people import User
from modules.tenancy.services import auth
from schema.errors import InputInvalid
from schema.mutations import typed_errors
from schema.permissions import public

T = TypeVar("T")


@strawberry.type(description="Tokens for a signed-in session.")
class AuthPayload:
    access_token: str | None = None
    access_token_expires_at: dt.datetime | None = None
    refresh_token: str | None = None
    user: User | None = None
    errors: list[TenancyError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    ok: bool
    errors: list[TenancyError]


def _failed(exc: InputInvalid) -> AuthPayload:
    return AuthPayload(errors=typed_errors(exc.problems, TenancyError, TenancyErrorCode))


async def _signed_in(ctx: RequestContext, session: auth.Session) -> AuthPayload:
    await ctx.sign_in(session.claims)
    return AuthPayload(
        access_token=session.access_token,
        access_token_expires_at=session.access_expires_at,
        refresh_token=session.refresh_token,
        user=User.from_row(session.user),
    )


@asynccontextmanager
async def _auth_transaction(
    ctx: RequestContext, tenant_id: uuid.UUID | None = None
) -> AsyncIterator[AsyncConnection]:
    """Sign-in work runs in a transaction of its own, never in the request's.

    The request may act for another user or tenant, and its settings must not move
    under it; and what a failed attempt writes (the failure count, a reuse
    revocation, the audit row) is committed even though the attempt fails.
    """
    async with ctx.engine.begin() as conn:
        if tenant_id is not None:
            await scope_to_tenant(conn, str(tenant_id))
        yield conn


async def _attempt(work: Awaitable[T]) -> T | InputInvalid:
    """Run `work`; a refusal is returned, not raised, so its writes are committed."""
    try:
        return await work
    except InputInvalid as exc:
        return exc


@strawberry.type
class AuthMutation:
    @strawberry.mutation(extensions=public(), description="Sign in with email and password.")
    async def login(self, info: Info, email: str, password: str, tenant: str) -> AuthPayload:
        ctx = info.context
        if len(email) > 254 or len(password) > 1000 or len(tenant) > 63:
            return _failed(auth.invalid())
        async with _auth_transaction(ctx) as conn:
            tenant_id = await auth.tenant_for_slug(conn, tenant.strip().lower())
            if tenant_id is None:
                auth.verify_password(None, password)  # no timing hint that the tenant is unknown
                return _failed(auth.invalid())
            await scope_to_tenant(conn, str(tenant_id))
            outcome = await _attempt(auth.login(ctx, conn, tenant_id, email, password))
        return _failed(outcome) if isinstance(outcome, InputInvalid) else await _signed_in(ctx, outcome)

    @strawberry.mutation(extensions=public(), description="Trade a refresh token for new tokens.")
    async def refresh_token(self, info: Info, refresh_token: str) -> AuthPayload:
        ctx = info.context
        try:
            tenant_id = auth.tenant_of_refresh_token(refresh_token)
        except InputInvalid as exc:
            return _failed(exc)
        async with _auth_transaction(ctx, tenant_id) as conn:
            outcome = await _attempt(auth.refresh(ctx, conn, refresh_token))
        return _failed(outcome) if isinstance(outcome, InputInvalid) else await _signed_in(ctx, outcome)

    @strawberry.mutation(extensions=public(), description="Revoke a refresh token (and its rotations).")
    async def logout(self, info: Info, refresh_token: str) -> LogoutPayload:
        ctx = info.context
        try:
            tenant_id = auth.tenant_of_refresh_token(refresh_token)
        except InputInvalid as exc:
            return LogoutPayload(ok=False, errors=typed_errors(exc.problems, TenancyError, TenancyErrorCode))
        async with _auth_transaction(ctx, tenant_id) as conn:
            ok = await auth.logout(ctx, conn, refresh_token)
        if ok:
            return LogoutPayload(ok=True, errors=[])
        refused = auth.invalid("INVALID_TOKEN", "Refresh token is invalid")
        return LogoutPayload(ok=False, errors=typed_errors(refused.problems, TenancyError, TenancyErrorCode))
