"""Mutations for providers, addresses, provider assignments and the tenant itself.
Thin: read the input, call the service through `mutate`, return a payload."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from app.errors import InvalidIdError
from modules.tenancy.errors import TenancyError, mutate
from modules.tenancy.service import providers as svc
from modules.tenancy.types.address import Address
from modules.tenancy.types.enums import ActiveStatus, AddressType, ProviderStatus
from modules.tenancy.types.provider import Provider, ProviderAssignment
from modules.tenancy.types.user import Tenant
from schema.mutations import NOWHERE, input_values
from schema.permissions import requires
from schema.relay import decode_id, from_global_id

UNSET = strawberry.UNSET


@strawberry.input
class ProviderInput:
    first_name: str | None = UNSET
    last_name: str | None = UNSET
    middle_name: str | None = UNSET
    suffix: str | None = UNSET
    credentials: str | None = UNSET
    npi: str | None = strawberry.field(default=UNSET, description="10 digits with a valid check digit.")
    taxonomy_code: str | None = UNSET
    contact_email: str | None = UNSET
    contact_phone: str | None = UNSET
    status: ProviderStatus | None = UNSET
    user_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="The user account to link; null unlinks."
    )


@strawberry.type
class ProviderPayload:
    provider: Provider | None
    errors: list[TenancyError]


@strawberry.input
class AddressInput:
    owner_id: strawberry.ID | None = strawberry.field(
        default=UNSET,
        description="The Organization, Facility or Provider the address belongs to. Set on create only.",
    )
    address_type: AddressType | None = UNSET
    street1: str | None = UNSET
    street2: str | None = UNSET
    city: str | None = UNSET
    state_province: str | None = UNSET
    postal_code: str | None = UNSET
    country_code: str | None = strawberry.field(
        default=UNSET, description="2 or 3 uppercase letters; USA when not given."
    )
    is_primary: bool | None = UNSET


@strawberry.type
class AddressPayload:
    address: Address | None
    errors: list[TenancyError]


@strawberry.input
class ProviderAssignmentInput:
    facility_id: strawberry.ID | None = strawberry.field(default=UNSET, description="Set on create only.")
    provider_id: strawberry.ID | None = strawberry.field(default=UNSET, description="Set on create only.")
    is_primary_location: bool | None = UNSET
    can_order: bool | None = UNSET
    status: ActiveStatus | None = UNSET
    start_date: dt.date | None = strawberry.field(default=UNSET, description="Today when not given.")
    end_date: dt.date | None = strawberry.field(default=UNSET, description="On or after the start date.")


@strawberry.type
class ProviderAssignmentPayload:
    provider_assignment: ProviderAssignment | None
    errors: list[TenancyError]


@strawberry.input
class TenantInput:
    name: str | None = UNSET
    settings: JSON | None = strawberry.field(default=UNSET, description="A JSON object; replaces all.")
    features: JSON | None = strawberry.field(
        default=UNSET, description="A JSON object of feature name to true/false; replaces all."
    )


@strawberry.type
class TenantPayload:
    tenant: Tenant | None
    errors: list[TenancyError]


def _address_owner(owner_id: str | None) -> tuple[str, uuid.UUID] | None:
    """The owner's type name and key; None when not given; a key matching nothing when
    the ID is of a type that owns no addresses."""
    if owner_id is UNSET or owner_id is None:
        return None
    try:
        return from_global_id(owner_id, tuple(svc.ADDRESS_OWNERS))
    except InvalidIdError:
        return "", NOWHERE


def _address_values(data: AddressInput) -> dict[str, Any]:
    return input_values(data, columns={"street1": "street_1", "street2": "street_2"}, omit=("owner_id",))


def _assignment_values(data: ProviderAssignmentInput, creating: bool) -> dict[str, Any]:
    if not creating:  # an assignment stays with its facility and provider
        return input_values(data, omit=("facility_id", "provider_id"))
    values = {"facility_id": None, "provider_id": None}
    return values | input_values(data, ids={"facility_id": "Facility", "provider_id": "Provider"})


@strawberry.type
class ProviderMutation:
    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def create_provider(self, info: Info, input: ProviderInput) -> ProviderPayload:
        values = input_values(input, ids={"user_id": "User"})
        return await mutate.respond(
            ProviderPayload, info, lambda c, a: svc.create_provider(c, a, values), svc.PROVIDER_UNIQUE
        )

    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def update_provider(self, info: Info, id: strawberry.ID, input: ProviderInput) -> ProviderPayload:
        pk, values = decode_id(id, "Provider"), input_values(input, ids={"user_id": "User"})
        return await mutate.respond(
            ProviderPayload, info, lambda c, a: svc.update_provider(c, a, pk, values), svc.PROVIDER_UNIQUE
        )

    @strawberry.mutation(
        extensions=requires("tenancy.manage"), description="Soft delete; its active assignments end too."
    )
    async def deactivate_provider(self, info: Info, id: strawberry.ID) -> ProviderPayload:
        pk = decode_id(id, "Provider")
        return await mutate.respond(ProviderPayload, info, lambda c, a: svc.deactivate_provider(c, a, pk))

    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def create_address(self, info: Info, input: AddressInput) -> AddressPayload:
        owner, values = _address_owner(input.owner_id), _address_values(input)
        return await mutate.respond(
            AddressPayload, info, lambda c, a: svc.create_address(c, a, owner, values)
        )

    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def update_address(self, info: Info, id: strawberry.ID, input: AddressInput) -> AddressPayload:
        pk, values = decode_id(id, "Address"), _address_values(input)
        return await mutate.respond(AddressPayload, info, lambda c, a: svc.update_address(c, a, pk, values))

    @strawberry.mutation(extensions=requires("tenancy.manage"), description="Soft delete.")
    async def deactivate_address(self, info: Info, id: strawberry.ID) -> AddressPayload:
        pk = decode_id(id, "Address")
        return await mutate.respond(AddressPayload, info, lambda c, a: svc.deactivate_address(c, a, pk))

    @strawberry.mutation(
        extensions=requires("tenancy.manage"), description="Assign a provider to a facility (once per pair)."
    )
    async def assign_provider(self, info: Info, input: ProviderAssignmentInput) -> ProviderAssignmentPayload:
        values = _assignment_values(input, creating=True)
        return await mutate.respond(
            ProviderAssignmentPayload,
            info,
            lambda c, a: svc.assign_provider(c, a, values),
            svc.ASSIGNMENT_UNIQUE,
        )

    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def update_provider_assignment(
        self, info: Info, id: strawberry.ID, input: ProviderAssignmentInput
    ) -> ProviderAssignmentPayload:
        pk, values = decode_id(id, "ProviderAssignment"), _assignment_values(input, creating=False)
        return await mutate.respond(
            ProviderAssignmentPayload, info, lambda c, a: svc.update_assignment(c, a, pk, values)
        )

    @strawberry.mutation(
        extensions=requires("tenancy.manage"),
        description="Status inactive; the end date becomes today unless one is set.",
    )
    async def end_provider_assignment(self, info: Info, id: strawberry.ID) -> ProviderAssignmentPayload:
        pk = decode_id(id, "ProviderAssignment")
        return await mutate.respond(
            ProviderAssignmentPayload, info, lambda c, a: svc.end_assignment(c, a, pk)
        )

    @strawberry.mutation(
        extensions=requires("tenant.manage"),
        description="Change the signed-in tenant's name, settings or enabled features.",
    )
    async def update_tenant(self, info: Info, input: TenantInput) -> TenantPayload:
        values = input_values(input)
        return await mutate.respond(TenantPayload, info, lambda c, a: svc.update_tenant(c, a, values))
