"""Sign-in, token refresh and sign-out, and loading the principal for a request.

Failed sign-ins are counted per account; past `login_max_failures` the account is
locked for `login_lockout_seconds`, doubling with each further failure (capped at
a day). The error never says whether the email exists.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor, write_audit
from app.auth.tokens import (
    AccessClaims,
    InvalidToken,
    hash_refresh_token,
    issue_access_token,
    new_refresh_token,
    refresh_token_tenant,
    successor_refresh_token,
)
from app.context import Principal, PrincipalSource, RequestContext
from app.errors import AuthenticationError, FieldProblem, InputInvalid
from app.settings import Settings
from modules.tenancy import models as m

MAX_LOCKOUT = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Session:
    access_token: str
    access_expires_at: dt.datetime
    refresh_token: str
    user: Any
    claims: AccessClaims


def invalid(
    code: str = "INVALID_CREDENTIALS",
    message: str = "Invalid email, password or tenant; after repeated failures, wait before trying again",
) -> InputInvalid:
    return InputInvalid([FieldProblem(None, code, message)])


async def role_keys(conn: AsyncConnection, user_id: uuid.UUID) -> list[str]:
    rows = await conn.execute(
        sa.select(m.roles.c.key)
        .join(m.user_roles, m.user_roles.c.role_id == m.roles.c.id)
        .where(m.user_roles.c.user_id == user_id)
        .order_by(m.roles.c.key)
    )
    return list(rows.scalars())


async def _issue(
    conn: AsyncConnection,
    settings: Settings,
    user: Any,
    family: uuid.UUID,
    refresh: tuple[str, bytes] | None = None,
) -> tuple[Session, uuid.UUID]:
    """A new session state: an access token and a stored refresh token (random unless
    given); returns the session and the refresh token's row id."""
    token, digest = refresh or new_refresh_token(user.tenant_id)
    row_id = await conn.scalar(
        sa.insert(m.refresh_tokens)
        .values(
            tenant_id=user.tenant_id,
            user_id=user.id,
            token_hash=digest,
            family_id=family,
            expires_at=sa.func.now() + dt.timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
        .returning(m.refresh_tokens.c.id)
    )
    return await _session(conn, settings, user, family, token), row_id


async def _session(
    conn: AsyncConnection, settings: Settings, user: Any, family: uuid.UUID, refresh_token: str
) -> Session:
    """A new access token of session `family`, beside the refresh token the client holds."""
    roles = await role_keys(conn, user.id)
    access, expires = issue_access_token(settings, user.id, user.tenant_id, roles, family)
    claims = AccessClaims(user.id, user.tenant_id, tuple(roles), expires, family)
    return Session(access, dt.datetime.fromtimestamp(expires, dt.UTC), refresh_token, user, claims)


async def tenant_for_slug(conn: AsyncConnection, slug: str) -> uuid.UUID | None:
    """The id of an active tenant; callable before any tenant is set (SECURITY DEFINER)."""
    return await conn.scalar(sa.select(sa.func.tenant_id_for_slug(slug)))


async def find_account(conn: AsyncConnection, email: str) -> Any | None:
    """The user an email names in the scoped tenant, read without a lock: the password is
    checked outside any transaction (hashing is slow), then `finish_login` locks the row."""
    return (
        await conn.execute(
            sa.select(m.users, (m.users.c.locked_until > sa.func.now()).label("is_locked")).where(
                m.users.c.email == email
            )
        )
    ).first()


async def finish_login(
    ctx: RequestContext,
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    account: Any,
    verified: bool,
    new_hash: str | None = None,
) -> Session:
    """Record the outcome of a password check: count a failure (which persists: the caller
    commits it), or reset the count and issue a session. The row is locked and checked
    again, since it may have changed while the password was being checked."""
    settings = ctx.settings
    user = (
        await conn.execute(sa.select(m.users).where(m.users.c.id == account.id).with_for_update())
    ).first()
    now = (await conn.execute(sa.select(sa.func.now()))).scalar_one()
    if user is None or (user.locked_until is not None and user.locked_until > now):
        # The same answer as a wrong password: a distinct one would tell that the email
        # names an account (lock any address by failing five times, then read the reply).
        raise invalid()
    if user.password_hash != account.password_hash:
        # Changed while the password was checked (a new password, another sign-in's rehash):
        # the check proves nothing about the hash stored now, and is no failure either.
        raise invalid()
    if not verified:
        failures = user.failed_login_count + 1
        locked_until = None
        if failures >= settings.login_max_failures:
            extra = failures - settings.login_max_failures
            locked_until = now + min(
                dt.timedelta(seconds=settings.login_lockout_seconds * 2 ** min(extra, 16)), MAX_LOCKOUT
            )
        await conn.execute(
            sa.update(m.users)
            .where(m.users.c.id == user.id)
            .values(failed_login_count=failures, locked_until=locked_until)
        )
        await write_audit(
            conn,
            Actor(tenant_id, None, ctx.request_id),
            "user.login_failed",
            "User",
            user.id,
            extra={"failures": failures, "locked": locked_until is not None},
        )
        raise invalid()
    if not user.is_active:
        raise invalid()
    reset: dict[str, Any] = {"failed_login_count": 0, "locked_until": None, "last_login_at": sa.func.now()}
    if new_hash is not None:
        reset["password_hash"] = new_hash  # made with today's hashing parameters
    await conn.execute(sa.update(m.users).where(m.users.c.id == user.id).values(**reset))
    await write_audit(conn, Actor(tenant_id, user.id, ctx.request_id), "user.login", "User", user.id)
    session, _ = await _issue(conn, settings, user, uuid.uuid4())
    return session


async def refresh(ctx: RequestContext, conn: AsyncConnection, token: str) -> Session:
    """Rotate a refresh token. A rotated token presented again within
    `refresh_reuse_window_seconds` (two tabs refreshing at once) yields the same successor
    and a new access token; later, it revokes the whole session (someone holds a copy)."""
    digest = hash_refresh_token(token)
    owner = await conn.scalar(
        sa.select(m.refresh_tokens.c.user_id).where(m.refresh_tokens.c.token_hash == digest)
    )
    if owner is not None:
        await lock_sessions_of(conn, owner)
    row = (
        await conn.execute(
            sa.select(m.refresh_tokens).where(m.refresh_tokens.c.token_hash == digest).with_for_update()
        )
    ).first()
    now = (await conn.execute(sa.select(sa.func.now()))).scalar_one()
    if row is None or row.expires_at <= now:
        raise invalid("INVALID_TOKEN", "Refresh token is invalid or expired")
    actor = Actor(row.tenant_id, row.user_id, ctx.request_id)
    successor = successor_refresh_token(ctx.settings, token)
    if row.revoked_at is not None:
        window = dt.timedelta(seconds=ctx.settings.refresh_reuse_window_seconds)
        if row.replaced_by is None or now - row.revoked_at > window:
            await _revoke_family(conn, row.family_id)
            await write_audit(conn, actor, "user.refresh_reuse", "User", row.user_id)
            raise invalid("INVALID_TOKEN", "Refresh token is invalid or expired")
        return await _reissue(ctx, conn, row, successor)
    user = await _active_user(conn, row.user_id)
    session, successor_id = await _issue(conn, ctx.settings, user, row.family_id, successor)
    await conn.execute(
        sa.update(m.refresh_tokens)
        .where(m.refresh_tokens.c.id == row.id)
        .values(revoked_at=sa.func.now(), replaced_by=successor_id)
    )
    await write_audit(conn, actor, "user.refresh", "User", row.user_id)
    return session


async def _reissue(
    ctx: RequestContext, conn: AsyncConnection, row: Any, successor: tuple[str, bytes]
) -> Session:
    """Within the reuse window: the successor issued already, if it is still the live token
    of a live session, with a new access token; otherwise refused (and nothing revoked)."""
    live = await conn.scalar(
        sa.select(sa.func.count()).where(
            m.refresh_tokens.c.id == row.replaced_by,
            m.refresh_tokens.c.token_hash == successor[1],
            m.refresh_tokens.c.revoked_at.is_(None),
        )
    )
    if not live:
        raise invalid("INVALID_TOKEN", "Refresh token is invalid or expired")
    user = await _active_user(conn, row.user_id)
    actor = Actor(row.tenant_id, row.user_id, ctx.request_id)
    await write_audit(conn, actor, "user.refresh", "User", row.user_id, extra={"within_reuse_window": True})
    return await _session(conn, ctx.settings, user, row.family_id, successor[0])


async def _active_user(conn: AsyncConnection, user_id: uuid.UUID) -> Any:
    user = (await conn.execute(sa.select(m.users).where(m.users.c.id == user_id))).first()
    tenant_active = await conn.scalar(sa.select(m.tenants.c.is_active))
    if user is None or not user.is_active or not tenant_active:
        raise invalid("INVALID_TOKEN", "Refresh token is invalid or expired")
    return user


async def logout(ctx: RequestContext, conn: AsyncConnection, token: str) -> bool:
    digest = hash_refresh_token(token)
    row = (
        await conn.execute(sa.select(m.refresh_tokens).where(m.refresh_tokens.c.token_hash == digest))
    ).first()
    if row is None:
        return False
    await lock_sessions_of(conn, row.user_id)
    await _revoke_family(conn, row.family_id)
    await write_audit(
        conn, Actor(row.tenant_id, row.user_id, ctx.request_id), "user.logout", "User", row.user_id
    )
    return True


async def lock_sessions_of(conn: AsyncConnection, user_id: uuid.UUID) -> None:
    """Serialize changes to one user's sessions until the transaction ends.

    A refresh inserts its successor in a transaction that has not committed yet; a
    sign-out (or a new password) running beside it would revoke every token it can see
    and miss that one, leaving the session alive. Every change to a user's sessions locks
    the user's row first, so one waits for the other and then sees all its rows. The row,
    not some other lock: a sign-in and a user update lock it already, and a token insert
    needs a share of it (its foreign key), so taking it first keeps one order everywhere.
    """
    await conn.execute(sa.select(m.users.c.id).where(m.users.c.id == user_id).with_for_update())


async def _revoke_family(conn: AsyncConnection, family_id: uuid.UUID) -> None:
    await conn.execute(
        sa.update(m.refresh_tokens)
        .where(m.refresh_tokens.c.family_id == family_id, m.refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
    )


def tenant_of_refresh_token(token: str) -> uuid.UUID:
    try:
        return refresh_token_tenant(token)
    except InvalidToken as exc:
        raise invalid("INVALID_TOKEN", str(exc)) from exc


# Scopes the transaction to the tenant, reads the principal, then narrows the transaction
# to what they may see: one round trip (migrations/versions/0006_principal_lookup.py).
_PRINCIPAL_SQL = sa.text("SELECT * FROM app_principal(:tenant_id, :user_id, :session_id)")


async def load_principal(ctx: RequestContext, claims: AccessClaims) -> Principal:
    """Check the token's user is still active, then narrow the transaction to what they may see.

    `app_principal` reads memberships while the transaction is scoped to the whole
    tenant, then, for a user who may act, sets the narrowing settings (`app.scope`,
    `app.facility_ids`, `app.org_ids`) that take effect for every later statement.
    """
    ctx.uow.claim_tenant(str(claims.tenant_id))
    params = {"tenant_id": claims.tenant_id, "user_id": claims.user_id, "session_id": claims.session_id}

    async def lookup(conn: Any) -> Any:
        return (await conn.execute(_PRINCIPAL_SQL, params)).first()

    return principal_from_row(claims, await ctx.uow.read(lookup))


def principal_from_row(claims: AccessClaims, row: Any) -> Principal:
    """The principal `app_principal` found, or the refusal of a caller who may not act."""
    if row is None or not row.is_active:
        raise AuthenticationError("User is deactivated or no longer exists")
    if not row.session_open:
        raise AuthenticationError("This session has ended (signed out or revoked); sign in again")
    if not row.tenant_active:
        raise AuthenticationError("Tenant is deactivated")
    permissions = frozenset(row.permissions)
    scope_all = "tenancy.scope_all" in permissions
    return Principal(
        user_id=claims.user_id,
        tenant_id=claims.tenant_id,
        email=row.email,
        roles=tuple(row.roles),
        permissions=permissions,
        facility_ids=tuple(row.facility_ids),
        organization_ids=tuple(row.org_ids),
        scope_all=scope_all,
    )


def remember_principal(principal: Principal, row: Any) -> tuple[Any, ...]:
    """What `app_known_principal` needs to check a principal found before and scope the
    transaction as `app_principal` did: the versions it was current at, then the settings."""
    return (
        row.user_version,
        row.tenant_version,
        "all" if principal.scope_all else "memberships",
        ",".join(str(f) for f in principal.facility_ids),
        ",".join(str(o) for o in principal.organization_ids),
    )


PRINCIPAL = PrincipalSource(
    load_principal,
    fused=(
        "SELECT p.*, CASE WHEN p.is_active AND p.session_open AND p.tenant_active THEN {data} END AS data "
        "FROM app_principal($1::uuid, $2::uuid, $3::uuid) AS p"
    ),
    from_row=principal_from_row,
    known=(
        "SELECT k.current, CASE WHEN k.current THEN {data} END AS data FROM app_known_principal("
        "$1::uuid, $2::uuid, $3::bigint, $4::bigint, $5::text, $6::text, $7::text) AS k"
    ),
    remember=remember_principal,
)
"""Who is asking, for the composition root: loaded in the request's transaction, or looked
up in the same statement as a compiled read (one round trip for the whole request)."""
