"""Sign-in, token refresh and sign-out."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.types import Info

from modules.tenancy.errors import TenancyError, TenancyErrorCode
from modules.tenancy.people import User
from modules.tenancy.services import auth
from schema.errors import InputInvalid
from schema.mutations import typed_errors
from schema.permissions import public


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


def _signed_in(session: auth.Session) -> AuthPayload:
    return AuthPayload(
        access_token=session.access_token,
        access_token_expires_at=session.access_expires_at,
        refresh_token=session.refresh_token,
        user=User.from_row(session.user),
    )


@strawberry.type
class AuthMutation:
    @strawberry.mutation(extensions=public(), description="Sign in with email and password.")
    async def login(self, info: Info, email: str, password: str, tenant: str) -> AuthPayload:
        ctx = info.context
        if len(email) > 254 or len(password) > 1000 or len(tenant) > 63:
            return _failed(auth.invalid())
        tenant_id = await auth.tenant_for_slug(ctx, tenant.strip().lower())
        if tenant_id is None:
            auth.verify_password(None, password)  # no timing hint that the tenant is unknown
            return _failed(auth.invalid())
        ctx.uow.set_context(tenant_id=str(tenant_id), scope="all")
        try:
            # Not in a savepoint: a failed attempt's counter must be kept.
            async with ctx.uow.use() as conn:
                return _signed_in(await auth.login(ctx, conn, tenant_id, email, password))
        except InputInvalid as exc:
            return _failed(exc)

    @strawberry.mutation(extensions=public(), description="Trade a refresh token for new tokens.")
    async def refresh_token(self, info: Info, refresh_token: str) -> AuthPayload:
        ctx = info.context
        try:
            tenant_id = auth.tenant_of_refresh_token(refresh_token)
            ctx.uow.set_context(tenant_id=str(tenant_id), scope="all")
            async with ctx.uow.use() as conn:
                return _signed_in(await auth.refresh(ctx, conn, refresh_token))
        except InputInvalid as exc:
            return _failed(exc)

    @strawberry.mutation(extensions=public(), description="Revoke a refresh token (and its rotations).")
    async def logout(self, info: Info, refresh_token: str) -> LogoutPayload:
        ctx = info.context
        try:
            tenant_id = auth.tenant_of_refresh_token(refresh_token)
        except InputInvalid as exc:
            return LogoutPayload(ok=False, errors=typed_errors(exc.problems, TenancyError, TenancyErrorCode))
        ctx.uow.set_context(tenant_id=str(tenant_id), scope="all")
        async with ctx.uow.use() as conn:
            ok = await auth.logout(ctx, conn, refresh_token)
        return LogoutPayload(
            ok=ok,
            errors=[]
            if ok
            else typed_errors(
                [auth.invalid("INVALID_TOKEN", "Refresh token is invalid").problems[0]],
                TenancyError,
                TenancyErrorCode,
            ),
        )
