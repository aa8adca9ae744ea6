"""Mutations for users, roles and memberships."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from modules.tenancy.enums import MembershipRole
from modules.tenancy.errors import TenancyError
from modules.tenancy.mutation_support import mutate
from modules.tenancy.people import Membership, Role, User
from modules.tenancy.services import users
from schema.mutations import given_fields
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


def _optional_id(value: str | None, type_name: str) -> object:
    """None stays None; a malformed or foreign ID becomes an ID that matches nothing."""
    if value is None:
        return None
    return decode_id(value, type_name) or _NOWHERE


_NOWHERE = uuid.UUID(int=0)


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(extensions=requires("users.manage"))
    async def create_user(self, info: Info, input: UserInput) -> UserPayload:
        caller = await info.context.principal()
        values = given_fields(input, ["email", "full_name", "password", "roles"])
        user, errors = await mutate(
            info,
            lambda c, a: users.create_user(c, a, caller, values, info.context.guards.passwords),
            User.from_row,
            users.USER_UNIQUE,
        )
        return UserPayload(user=user, errors=errors)

    @strawberry.mutation(extensions=requires("users.manage"))
    async def update_user(self, info: Info, id: strawberry.ID, input: UserInput) -> UserPayload:
        caller = await info.context.principal()
        pk, values = decode_id(id, "User"), given_fields(input, ["email", "full_name", "password", "roles"])
        user, errors = await mutate(
            info,
            lambda c, a: users.update_user(c, a, caller, pk, values, info.context.guards.passwords),
            User.from_row,
            users.USER_UNIQUE,
        )
        return UserPayload(user=user, errors=errors)

    @strawberry.mutation(
        extensions=requires("users.manage"),
        description="The user can no longer sign in; open sessions end at once.",
    )
    async def deactivate_user(self, info: Info, id: strawberry.ID) -> UserPayload:
        caller = await info.context.principal()
        pk = decode_id(id, "User")
        user, errors = await mutate(info, lambda c, a: users.deactivate_user(c, a, caller, pk), User.from_row)
        return UserPayload(user=user, errors=errors)

    @strawberry.mutation(extensions=requires("users.manage"))
    async def create_role(self, info: Info, input: RoleInput) -> RolePayload:
        caller = await info.context.principal()
        values = given_fields(input, ["key", "name", "description", "permissions"])
        role, errors = await mutate(
            info, lambda c, a: users.create_role(c, a, caller, values), Role.from_row, users.ROLE_UNIQUE
        )
        return RolePayload(role=role, errors=errors)

    @strawberry.mutation(extensions=requires("users.manage"))
    async def update_role(self, info: Info, id: strawberry.ID, input: RoleInput) -> RolePayload:
        caller = await info.context.principal()
        pk, values = decode_id(id, "Role"), given_fields(input, ["name", "description", "permissions"])
        role, errors = await mutate(
            info, lambda c, a: users.update_role(c, a, caller, pk, values), Role.from_row, users.ROLE_UNIQUE
        )
        return RolePayload(role=role, errors=errors)

    @strawberry.mutation(extensions=requires("users.manage"))
    async def grant_membership(self, info: Info, input: MembershipInput) -> MembershipPayload:
        caller = await info.context.principal()
        values = {
            "user_id": decode_id(input.user_id, "User"),
            "organization_id": _optional_id(input.organization_id, "Organization"),
            "facility_id": _optional_id(input.facility_id, "Facility"),
            "role": input.role.value,
            "is_primary": input.is_primary,
        }
        membership, errors = await mutate(
            info,
            lambda c, a: users.grant_membership(c, a, caller, values),
            Membership.from_row,
            users.MEMBERSHIP_UNIQUE,
        )
        return MembershipPayload(membership=membership, errors=errors)

    @strawberry.mutation(extensions=requires("users.manage"))
    async def revoke_membership(self, info: Info, id: strawberry.ID) -> MembershipPayload:
        caller = await info.context.principal()
        pk = decode_id(id, "Membership")
        membership, errors = await mutate(
            info, lambda c, a: users.revoke_membership(c, a, caller, pk), Membership.from_row
        )
        return MembershipPayload(membership=membership, errors=errors)
