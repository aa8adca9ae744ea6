"""Users, their roles and their memberships in organizations and facilities."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor, write_audit
from app.auth.passwords import MIN_PASSWORD_LENGTH, PasswordWorkers
from app.context import Principal
from app.errors import Problems, raise_not_found, raise_problem
from app.events import emit
from app.validators import SLUG_KEY, Check
from app.writes import delete_row, existing_row, insert_row, lock_row, update_row
from modules.tenancy import events as ev
from modules.tenancy import models as m
from modules.tenancy.service.auth import lock_sessions_of
from modules.tenancy.service.grants import (
    check_membership_within_reach,
    check_permissions_grantable,
    check_roles_grantable,
    check_user_manageable,
)

USER_UNIQUE = {"users_tenant_id_email_key": "input.email"}
ROLE_UNIQUE = {"roles_tenant_id_key_key": "input.key"}
MEMBERSHIP_UNIQUE = {"memberships_tenant_id_user_id_organization_id_facility_id_key": "input.userId"}


def _check_user(values: dict[str, Any], creating: bool) -> None:
    problems = Problems()
    check = Check(problems)
    required = ("email", "full_name", "password")
    check.present(values, required, required, creating)
    check.text("email", values.get("email"), max_len=254)
    check.email("email", values.get("email"))
    check.text("fullName", values.get("full_name"))
    password = values.get("password")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        problems.add("input.password", "INVALID", f"At least {MIN_PASSWORD_LENGTH} characters")
    problems.raise_if_any()


async def _role_ids(conn: AsyncConnection, keys: list[str]) -> list[uuid.UUID]:
    rows = (await conn.execute(sa.select(m.roles.c.id, m.roles.c.key).where(m.roles.c.key.in_(keys)))).all()
    missing = sorted(set(keys) - {r.key for r in rows})
    if missing:
        raise_problem("roles", "NOT_FOUND", f"Unknown role(s): {', '.join(missing)}")
    return [r.id for r in rows]


async def _user_values(values: dict[str, Any], passwords: PasswordWorkers) -> dict[str, Any]:
    out = {k: v for k, v in values.items() if k in ("full_name", "is_active")}
    if values.get("email") is not None:
        out["email"] = values["email"].strip().lower()
    if values.get("password") is not None:
        out["password_hash"] = await passwords.hash(values["password"])
    return out


async def create_user(
    conn: AsyncConnection,
    actor: Actor,
    caller: Principal,
    values: dict[str, Any],
    passwords: PasswordWorkers,
) -> Any:
    _check_user(values, creating=True)
    role_ids = await _role_ids(conn, values.get("roles") or [])
    await check_roles_grantable(conn, caller, role_ids)
    row = await insert_row(conn, actor, m.users, "User", await _user_values(values, passwords))
    await emit(conn, actor, ev.USER_CREATED, "User", row.id)
    await _replace_roles(conn, actor, row.id, role_ids)
    return row


async def update_user(
    conn: AsyncConnection,
    actor: Actor,
    caller: Principal,
    pk: uuid.UUID | None,
    values: dict[str, Any],
    passwords: PasswordWorkers,
) -> Any:
    """A new password ends the user's sessions: refresh tokens issued before it stop working."""
    _check_user(values, creating=False)
    before = await existing_row(conn, m.users, pk, "user")
    await check_user_manageable(conn, caller, before.id)
    role_ids = None if values.get("roles") is None else await _role_ids(conn, values["roles"])
    if role_ids is not None:
        await check_roles_grantable(conn, caller, role_ids)
    row = await update_row(conn, actor, m.users, "User", before, await _user_values(values, passwords))
    if role_ids is not None:
        await _replace_roles(conn, actor, before.id, role_ids)
    if values.get("password") is not None:
        await _end_sessions(conn, before.id)
    return row


async def deactivate_user(
    conn: AsyncConnection, actor: Actor, caller: Principal, pk: uuid.UUID | None
) -> Any:
    """The user's next request is refused; their refresh tokens are revoked now."""
    before = await existing_row(conn, m.users, pk, "user")
    if pk == actor.user_id:
        raise_problem("id", "INVALID", "You cannot deactivate yourself")
    await check_user_manageable(conn, caller, before.id)
    row = await update_row(conn, actor, m.users, "User", before, {"is_active": False}, "deactivate")
    await _end_sessions(conn, before.id)
    if before.is_active:
        await emit(conn, actor, ev.USER_DEACTIVATED, "User", before.id)
    return row


async def _end_sessions(conn: AsyncConnection, user_id: uuid.UUID) -> None:
    await lock_sessions_of(conn, user_id)  # no refresh in flight slips past
    await conn.execute(
        sa.update(m.refresh_tokens)
        .where(m.refresh_tokens.c.user_id == user_id, m.refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
    )


async def _replace_roles(
    conn: AsyncConnection, actor: Actor, user_id: uuid.UUID, role_ids: list[uuid.UUID]
) -> None:
    await conn.execute(sa.delete(m.user_roles).where(m.user_roles.c.user_id == user_id))
    if role_ids:
        await conn.execute(
            sa.insert(m.user_roles),
            [{"tenant_id": actor.tenant_id, "user_id": user_id, "role_id": r} for r in role_ids],
        )
    await write_audit(
        conn, actor, "user.set_roles", "User", user_id, extra={"role_ids": [str(r) for r in role_ids]}
    )
    await emit(conn, actor, ev.USER_ROLES_CHANGED, "User", user_id, {"role_ids": sorted(role_ids)})


def _check_role(values: dict[str, Any], creating: bool, known_permissions: set[str]) -> None:
    problems = Problems()
    check = Check(problems)
    check.present(values, ("key", "name"), ("key", "name"), creating)
    check.text("key", values.get("key"), max_len=50)
    check.pattern("key", values.get("key"), SLUG_KEY, "role key (lowercase, digits, _)")
    check.text("name", values.get("name"))
    unknown = sorted(set(values.get("permissions") or []) - known_permissions)
    if unknown:
        problems.add("input.permissions", "INVALID", f"Unknown permission(s): {', '.join(unknown)}")
    problems.raise_if_any()


async def _known_permissions(conn: AsyncConnection) -> set[str]:
    return set((await conn.execute(sa.select(m.permissions.c.key))).scalars())


async def _set_permissions(conn: AsyncConnection, actor: Actor, role_id: uuid.UUID, keys: list[str]) -> None:
    await conn.execute(sa.delete(m.role_permissions).where(m.role_permissions.c.role_id == role_id))
    if keys:
        await conn.execute(
            sa.insert(m.role_permissions),
            [
                {"tenant_id": actor.tenant_id, "role_id": role_id, "permission_key": k}
                for k in sorted(set(keys))
            ],
        )
    await write_audit(
        conn, actor, "role.set_permissions", "Role", role_id, extra={"permissions": sorted(set(keys))}
    )
    await emit(conn, actor, ev.ROLE_PERMISSIONS_CHANGED, "Role", role_id, {"permissions": sorted(set(keys))})


async def create_role(conn: AsyncConnection, actor: Actor, caller: Principal, values: dict[str, Any]) -> Any:
    _check_role(values, True, await _known_permissions(conn))
    check_permissions_grantable(caller, "permissions", values.get("permissions") or [])
    row = await insert_row(
        conn,
        actor,
        m.roles,
        "Role",
        {
            "key": values["key"],
            "name": values["name"].strip(),
            "description": values.get("description"),
            "is_system": False,
        },
    )
    await _set_permissions(conn, actor, row.id, values.get("permissions") or [])
    return row


async def update_role(
    conn: AsyncConnection, actor: Actor, caller: Principal, pk: uuid.UUID | None, values: dict[str, Any]
) -> Any:
    _check_role(values, False, await _known_permissions(conn))
    before = await existing_row(conn, m.roles, pk, "role")
    if before.is_system:
        # Baseline roles mean the same in every tenant: clients and operators rely on
        # "Owner" being the owner. Custom roles are for anything else.
        if values.get("permissions") is not None:
            raise_problem("permissions", "INVALID", "Baseline roles' permissions are fixed")
        for field in ("name", "description"):
            if field in values and values[field] != getattr(before, field):
                raise_problem(field, "INVALID", f"Baseline roles' {field}s are fixed")
    if values.get("permissions") is not None:
        # Both what the role grants now and what it is to grant must be the caller's to give.
        await check_roles_grantable(conn, caller, [before.id], field="permissions")
        check_permissions_grantable(caller, "permissions", values["permissions"])
    changes: dict[str, Any] = {k: values[k] for k in ("name", "description") if k in values}
    row = await update_row(conn, actor, m.roles, "Role", before, changes)
    if values.get("permissions") is not None:
        await _set_permissions(conn, actor, before.id, values["permissions"])
    return row


async def grant_membership(
    conn: AsyncConnection, actor: Actor, caller: Principal, values: dict[str, Any]
) -> Any:
    """Let a user see one organization (all its facilities) or one facility."""
    if (values.get("organization_id") is None) == (values.get("facility_id") is None):
        raise_problem("organizationId", "INVALID", "Give exactly one of organizationId and facilityId")
    user_id = values.get("user_id")
    if user_id is None or await lock_row(conn, m.users, user_id) is None:
        raise_not_found("userId", "user")
    if (
        values.get("organization_id")
        and await lock_row(conn, m.organizations, values["organization_id"]) is None
    ):
        raise_not_found("organizationId", "organization")
    if values.get("facility_id") and await lock_row(conn, m.facilities, values["facility_id"]) is None:
        raise_not_found("facilityId", "facility")
    await check_membership_within_reach(
        conn, caller, values.get("organization_id"), values.get("facility_id")
    )
    row = await insert_row(conn, actor, m.memberships, "Membership", values)
    await emit(conn, actor, ev.MEMBERSHIP_GRANTED, "Membership", row.id, _membership_payload(row))
    return row


async def revoke_membership(
    conn: AsyncConnection, actor: Actor, caller: Principal, pk: uuid.UUID | None
) -> Any:
    before = await existing_row(conn, m.memberships, pk, "membership")
    await check_membership_within_reach(conn, caller, before.organization_id, before.facility_id)
    await delete_row(conn, actor, m.memberships, "Membership", before, "revoke")
    await emit(conn, actor, ev.MEMBERSHIP_REVOKED, "Membership", before.id, _membership_payload(before))
    return before


def _membership_payload(row: Any) -> dict[str, Any]:
    return {
        "user_id": row.user_id,
        "organization_id": row.organization_id,
        "facility_id": row.facility_id,
        "role": row.role,
    }
