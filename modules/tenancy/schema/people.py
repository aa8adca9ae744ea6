"""Mutations for users, roles and memberships."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from modules.tenancy.errors import TenancyError, mutate
from modules.tenancy.service import users
from modules.tenancy.types.enums import MembershipRole
from modules.tenancy.types.user import Membership, Role, User
from schema.mutations import input_values
from schema.permissions import requires
from schema.relay import decode_id

UNSET = strawberry.UNSET


@strawberry.input
class UserInput:
    email: str | None = UNSET
    full_name: str | None = UNSET
    password: str | None = UNSET
    roles: list[str] | None = strawberry.field(default=UNSET, description="Role keys; replaces all.")


@strawberry.type
class UserPayload:
    user: User | None
    errors: list[TenancyError]


@strawberry.input
class RoleInput:
    key: str | None = UNSET
    name: str | None = UNSET
    description: str | None = UNSET
    permissions: list[str] | None = strawberry.field(default=UNSET, description="Replaces all.")


@strawberry.type
class RolePayload:
    role: Role | None
    errors: list[TenancyError]


@strawberry.input
class MembershipInput:
    user_id: strawberry.ID
    organization_id: strawberry.ID | None = None
    facility_id: strawberry.ID | None = None
    role: MembershipRole = MembershipRole.MEMBER
    is_primary: bool = False


@strawberry.type
class MembershipPayload:
    membership: Membership | None
    errors: list[TenancyError]


MEMBERSHIP_IDS = {"user_id": "User", "organization_id": "Organization", "facility_id": "Facility"}


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(extensions=requires("users.manage"))
    async def create_user(self, info: Info, input: UserInput) -> UserPayload:
        caller = await info.context.principal()
        values = input_values(input)
        return await mutate.respond(
            UserPayload,
            info,
            lambda c, a: users.create_user(c, a, caller, values, info.context.guards.passwords),
            users.USER_UNIQUE,
        )

    @strawberry.mutation(extensions=requires("users.manage"))
    async def update_user(self, info: Info, id: strawberry.ID, input: UserInput) -> UserPayload:
        caller = await info.context.principal()
        pk, values = decode_id(id, "User"), input_values(input)
        return await mutate.respond(
            UserPayload,
            info,
            lambda c, a: users.update_user(c, a, caller, pk, values, info.context.guards.passwords),
            users.USER_UNIQUE,
        )

    @strawberry.mutation(
        extensions=requires("users.manage"),
        description="The user can no longer sign in; open sessions end at once.",
    )
    async def deactivate_user(self, info: Info, id: strawberry.ID) -> UserPayload:
        caller = await info.context.principal()
        pk = decode_id(id, "User")
        return await mutate.respond(UserPayload, info, lambda c, a: users.deactivate_user(c, a, caller, pk))

    @strawberry.mutation(extensions=requires("users.manage"))
    async def create_role(self, info: Info, input: RoleInput) -> RolePayload:
        caller = await info.context.principal()
        values = input_values(input)
        return await mutate.respond(
            RolePayload, info, lambda c, a: users.create_role(c, a, caller, values), users.ROLE_UNIQUE
        )

    @strawberry.mutation(extensions=requires("users.manage"))
    async def update_role(self, info: Info, id: strawberry.ID, input: RoleInput) -> RolePayload:
        caller = await info.context.principal()
        pk, values = decode_id(id, "Role"), input_values(input, omit=("key",))
        return await mutate.respond(
            RolePayload, info, lambda c, a: users.update_role(c, a, caller, pk, values), users.ROLE_UNIQUE
        )

    @strawberry.mutation(extensions=requires("users.manage"))
    async def grant_membership(self, info: Info, input: MembershipInput) -> MembershipPayload:
        caller = await info.context.principal()
        values = input_values(input, ids=MEMBERSHIP_IDS)
        return await mutate.respond(
            MembershipPayload,
            info,
            lambda c, a: users.grant_membership(c, a, caller, values),
            users.MEMBERSHIP_UNIQUE,
        )

    @strawberry.mutation(extensions=requires("users.manage"))
    async def revoke_membership(self, info: Info, id: strawberry.ID) -> MembershipPayload:
        caller = await info.context.principal()
        pk = decode_id(id, "Membership")
        return await mutate.respond(
            MembershipPayload, info, lambda c, a: users.revoke_membership(c, a, caller, pk)
        )
