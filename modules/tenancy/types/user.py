"""The tenant, its users, their roles and their memberships, and `me`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from app.errors import PermissionDenied
from modules.tenancy import loaders as ld
from modules.tenancy import models as m
from modules.tenancy.types.enums import MembershipRole
from modules.tenancy.types.listings import MEMBERSHIPS, ROLES, USERS
from modules.tenancy.types.refs import FacilityRef, OrganizationRef
from schema.entities import entity, to_one
from schema.listing import connection
from schema.relay import Connection, Node


@entity(m.tenants, node="tenancy.read")
@strawberry.type(description="The tenant you are signed in to.")
class Tenant(Node):
    slug: str
    name: str
    settings: JSON
    features: JSON
    is_active: bool
    created_at: dt.datetime


@strawberry.type
class Permission:
    key: str
    module: str
    description: str


@entity(m.roles, node="users.read", listing=ROLES)
@strawberry.type
class Role(Node):
    key: str
    name: str
    description: str | None
    is_system: bool

    @strawberry.field(description="Permission keys this role grants.")
    async def permissions(self, info: Info) -> list[str]:
        return await ld.permission_keys_by_role(info.context).load(self.row.id)


@entity(m.memberships, node="users.read", listing=MEMBERSHIPS)
@strawberry.type(description="A user's membership in an organization or a facility.")
class Membership(Node):
    role: MembershipRole
    is_primary: bool
    created_at: dt.datetime

    organization: OrganizationRef | None = to_one(
        "organization_id", requires="tenancy.read", description="Needs tenancy.read."
    )
    facility: FacilityRef | None = to_one(
        "facility_id", requires="tenancy.read", description="Needs tenancy.read."
    )


async def users_read_or_self(info: Info, user: Any) -> None:
    """A user's roles and memberships: for user administrators, and for the user."""
    principal = await info.context.principal()
    if principal.user_id != user.row.id and not principal.can("users.read"):
        raise PermissionDenied("Missing permission 'users.read'")


async def _roles(root: Any, info: Info) -> list[Role]:
    await users_read_or_self(info, root)
    return [Role.from_row(row) for row in await ld.roles_by_user(info.context).load(root.row.id)]


@entity(m.users, node="users.read", listing=USERS)
@strawberry.type
class User(Node):
    email: str
    full_name: str
    is_active: bool
    email_verified_at: dt.datetime | None
    last_login_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    roles: list[Role] = strawberry.field(
        resolver=_roles, description="Needs users.read, unless this is the caller."
    )
    memberships: Connection[Membership] = connection(
        MEMBERSHIPS,
        parent="user_id",
        backward=False,
        guard=users_read_or_self,
        description="Needs users.read, unless this is the caller.",
    )


@strawberry.type(
    description="The signed-in user and what they may do; memberships are on `user.memberships`."
)
class Me:
    user: User
    tenant: Tenant
    roles: list[str]
    permissions: list[str]
    facility_ids: list[strawberry.ID] = strawberry.field(
        description="Facilities visible through memberships (all facilities when scope is all)."
    )
    scope_all: bool
