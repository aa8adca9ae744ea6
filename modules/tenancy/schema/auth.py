"""Sign-in, token refresh and sign-out."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response
from strawberry.types import Info

from app.auth.passwords import HashingBusy, needs_rehash
from app.context import RequestContext
from app.db import scope_to_tenant
from app.errors import AuthenticationError, InputInvalid
from modules.tenancy.errors import TenancyError, TenancyErrorCode, mutate
from modules.tenancy.service import auth
from modules.tenancy.types.user import User
from schema.permissions import public

T = TypeVar("T")


@strawberry.type(description="Tokens for a signed-in session.")
class AuthPayload:
    access_token: str | None = None
    access_token_expires_at: dt.datetime | None = None
    refresh_token: str | None = None
    user: User | None = None
    errors: list[TenancyError] = strawberry.field(default_factory=list)
    retry_after_seconds: int | None = strawberry.field(
        default=None, description="With RATE_LIMITED: seconds to wait before signing in again."
    )


@strawberry.type
class LogoutPayload:
    ok: bool
    errors: list[TenancyError]


def _failed(exc: InputInvalid) -> AuthPayload:
    return AuthPayload(errors=mutate.errors(exc.problems))


async def _signed_in(ctx: RequestContext, session: auth.Session) -> AuthPayload:
    try:
        await ctx.sign_in(session.claims)
    except AuthenticationError:
        # Ended in the moment since it was issued (signed out in another tab, say).
        return _failed(auth.invalid("INVALID_TOKEN", "This session has ended; sign in again"))
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


async def _sign_in(ctx: RequestContext, slug: str, email: str, password: str) -> AuthPayload:
    """Look the account up, check the password with no transaction open (hashing is slow
    and must not hold a connection), then record the outcome in a second transaction.
    Every path costs one password check, so timing tells nothing about what exists."""
    async with _auth_transaction(ctx) as conn:
        tenant_id = await auth.tenant_for_slug(conn, slug)
        account = None
        if tenant_id is not None:
            await scope_to_tenant(conn, str(tenant_id))
            account = await auth.find_account(conn, email)
    stored = account.password_hash if account is not None and not account.is_locked else None
    verified = await ctx.guards.passwords.verify(stored, password)
    if tenant_id is None or account is None or stored is None:
        return _failed(auth.invalid())
    new_hash = None
    if verified and needs_rehash(account.password_hash):
        new_hash = await ctx.guards.passwords.hash(password)
    async with _auth_transaction(ctx, tenant_id) as conn:
        outcome = await _attempt(auth.finish_login(ctx, conn, tenant_id, account, verified, new_hash))
    return _failed(outcome) if isinstance(outcome, InputInvalid) else await _signed_in(ctx, outcome)


async def _rate_limited(ctx: RequestContext, wait: float) -> AuthPayload:
    """RATE_LIMITED, with how long to wait, after a pause: a client that loops on sign-in
    waits for each refusal, so a flood of them costs the server next to nothing."""
    seconds = max(1, math.ceil(wait))
    response = ctx.response
    if isinstance(response, Response):
        response.headers["Retry-After"] = str(seconds)
    await asyncio.sleep(min(wait, ctx.settings.signin_refusal_delay_ms / 1000))
    message = f"Too many sign-in attempts; try again in {seconds} s"
    return AuthPayload(
        errors=[TenancyError(field=None, code=TenancyErrorCode.RATE_LIMITED, message=message)],
        retry_after_seconds=seconds,
    )


async def _attempt(work: Awaitable[T]) -> T | InputInvalid:
    """Run `work`; a refusal is returned, not raised, so its writes are committed."""
    try:
        return await work
    except InputInvalid as exc:
        return exc


@strawberry.type
class AuthMutation:
    @strawberry.mutation(
        extensions=public(),
        description="Sign in with email and password. Attempts are limited per client address "
        "and per tenant and email; past the limit the answer is RATE_LIMITED with retryAfterSeconds.",
    )
    async def login(self, info: Info, email: str, password: str, tenant: str) -> AuthPayload:
        ctx = info.context
        if len(email) > 254 or len(password) > 1000 or len(tenant) > 63:
            return _failed(auth.invalid())
        slug, email = tenant.strip().lower(), email.strip().lower()
        wait = await ctx.guards.throttle.wait_seconds(ctx.client_ip, slug, email)
        if wait > 0:
            return await _rate_limited(ctx, wait)
        try:
            return await _sign_in(ctx, slug, email, password)
        except HashingBusy:
            return await _rate_limited(ctx, 1.0)

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
            return LogoutPayload(ok=False, errors=mutate.errors(exc.problems))
        async with _auth_transaction(ctx, tenant_id) as conn:
            ok = await auth.logout(ctx, conn, refresh_token)
        if ok:
            return LogoutPayload(ok=True, errors=[])
        refused = auth.invalid("INVALID_TOKEN", "Refresh token is invalid")
        return LogoutPayload(ok=False, errors=mutate.errors(refused.problems))
