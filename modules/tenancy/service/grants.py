"""What a user administrator may hand out: never more than they hold themselves.

`users.manage` lets a caller create users, set roles and define roles, but only
with permissions they have; it does not let them change (or reset the password
of) a user who holds permissions they lack; and a caller whose view is narrowed
by memberships grants memberships only inside it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.context import Principal
from app.errors import raise_problem
from modules.tenancy import models as m


def _beyond(caller: Principal, permissions: Iterable[str]) -> list[str]:
    return sorted(set(permissions) - caller.permissions)


def check_permissions_grantable(caller: Principal, field: str, permissions: Iterable[str]) -> None:
    if beyond := _beyond(caller, permissions):
        raise_problem(
            field, "FORBIDDEN", f"You cannot grant permissions you do not hold: {', '.join(beyond)}"
        )


async def check_roles_grantable(
    conn: AsyncConnection, caller: Principal, role_ids: list[uuid.UUID], field: str = "roles"
) -> None:
    rp = m.role_permissions.c
    held = await conn.scalars(sa.select(rp.permission_key).where(rp.role_id.in_(role_ids)).distinct())
    check_permissions_grantable(caller, field, held)


async def check_user_manageable(conn: AsyncConnection, caller: Principal, user_id: uuid.UUID) -> None:
    """Refuse to change a user who can do more than the caller (their password, roles, email)."""
    ur, rp = m.user_roles.c, m.role_permissions.c
    held = await conn.scalars(
        sa.select(rp.permission_key)
        .join(m.user_roles, ur.role_id == rp.role_id)
        .where(ur.user_id == user_id)
        .distinct()
    )
    if _beyond(caller, held):
        raise_problem("id", "FORBIDDEN", "This user holds permissions you do not; ask someone who holds them")


async def check_membership_within_reach(
    conn: AsyncConnection,
    caller: Principal,
    organization_id: uuid.UUID | None,
    facility_id: uuid.UUID | None,
) -> None:
    """A caller who sees only their memberships grants (or revokes) only within them."""
    if caller.scope_all:
        return
    if facility_id is not None:
        # Facilities of the caller's organizations count: the caller sees them all.
        if facility_id not in caller.facility_ids:
            raise_problem("facilityId", "FORBIDDEN", "You can grant only facilities you are a member of")
        return
    ms = m.memberships.c
    direct = await conn.scalar(
        sa.select(sa.literal(True)).where(ms.user_id == caller.user_id, ms.organization_id == organization_id)
    )
    if not direct:
        # Seeing an organization through one of its facilities is not membership of it.
        raise_problem("organizationId", "FORBIDDEN", "You can grant only organizations you are a member of")
