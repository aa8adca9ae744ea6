"""Mutations for providers, addresses, provider assignments and the tenant itself.
Thin: decode IDs, pick the fields sent, call the service through `mutate`, return a payload."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from modules.tenancy.enums import ActiveStatus, AddressType, ProviderStatus
from modules.tenancy.errors import TenancyError
from modules.tenancy.mutation_support import mutate
from modules.tenancy.people import Tenant
from modules.tenancy.services import providers as svc
from modules.tenancy.types import Address, Provider, ProviderAssignment
from schema.errors import InvalidIdError
from schema.mutations import given_fields
from schema.permissions import requires
from schema.relay import decode_id, from_global_id

UNSET = strawberry.UNSET
# Stands for an ID that was sent but is malformed or of the wrong type: it matches no row.
_NOWHERE = uuid.UUID(int=0)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Enum members as the values the database stores."""
    return {k: (v.value if hasattr(v, "value") and not isinstance(v, str) else v) for k, v in values.items()}


def _optional_id(value: str | None, type_name: str) -> uuid.UUID | None:
    """None stays None; a malformed or foreign ID becomes an ID that matches nothing."""
    if value is None:
        return None
    return decode_id(value, type_name) or _NOWHERE


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


PROVIDER_FIELDS = [
    "first_name",
    "last_name",
    "middle_name",
    "suffix",
    "credentials",
    "npi",
    "taxonomy_code",
    "contact_email",
    "contact_phone",
    "status",
]


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


# Input field -> column.
ADDRESS_COLUMNS = {
    "address_type": "address_type",
    "street1": "street_1",
    "street2": "street_2",
    "city": "city",
    "state_province": "state_province",
    "postal_code": "postal_code",
    "country_code": "country_code",
    "is_primary": "is_primary",
}


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


ASSIGNMENT_FIELDS = ["is_primary_location", "can_order", "status", "start_date", "end_date"]


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


def _provider_values(data: ProviderInput) -> dict[str, Any]:
    values = _plain(given_fields(data, PROVIDER_FIELDS))
    if data.user_id is not UNSET:
        values["user_id"] = _optional_id(data.user_id, "User")
    return values


def _address_owner(owner_id: str | None) -> tuple[str, uuid.UUID] | None:
    """The owner's type name and key; None when not given; a key matching nothing when malformed."""
    if owner_id is UNSET or owner_id is None:
        return None
    try:
        return from_global_id(owner_id, tuple(svc.ADDRESS_OWNERS))
    except InvalidIdError:
        return "", _NOWHERE


def _address_values(data: AddressInput) -> dict[str, Any]:
    given = _plain(given_fields(data, list(ADDRESS_COLUMNS)))
    return {ADDRESS_COLUMNS[k]: v for k, v in given.items()}


def _assignment_values(data: ProviderAssignmentInput, creating: bool) -> dict[str, Any]:
    values = _plain(given_fields(data, ASSIGNMENT_FIELDS))
    if creating:
        for name, type_name in (("facility_id", "Facility"), ("provider_id", "Provider")):
            given = getattr(data, name)
            values[name] = None if given is UNSET else _optional_id(given, type_name)
    return values


@strawberry.type
class ProviderMutation:
    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def create_provider(self, info: Info, input: ProviderInput) -> ProviderPayload:
        values = _provider_values(input)
        provider, errors = await mutate(
            info, lambda c, a: svc.create_provider(c, a, values), Provider.from_row, svc.PROVIDER_UNIQUE
        )
        return ProviderPayload(provider=provider, errors=errors)

    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def update_provider(self, info: Info, id: strawberry.ID, input: ProviderInput) -> ProviderPayload:
        pk, values = decode_id(id, "Provider"), _provider_values(input)
        provider, errors = await mutate(
            info, lambda c, a: svc.update_provider(c, a, pk, values), Provider.from_row, svc.PROVIDER_UNIQUE
        )
        return ProviderPayload(provider=provider, errors=errors)

    @strawberry.mutation(
        extensions=requires("tenancy.manage"), description="Soft delete; its active assignments end too."
    )
    async def deactivate_provider(self, info: Info, id: strawberry.ID) -> ProviderPayload:
        pk = decode_id(id, "Provider")
        provider, errors = await mutate(
            info, lambda c, a: svc.deactivate_provider(c, a, pk), Provider.from_row
        )
        return ProviderPayload(provider=provider, errors=errors)

    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def create_address(self, info: Info, input: AddressInput) -> AddressPayload:
        owner, values = _address_owner(input.owner_id), _address_values(input)
        address, errors = await mutate(
            info, lambda c, a: svc.create_address(c, a, owner, values), Address.from_row
        )
        return AddressPayload(address=address, errors=errors)

    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def update_address(self, info: Info, id: strawberry.ID, input: AddressInput) -> AddressPayload:
        pk, values = decode_id(id, "Address"), _address_values(input)
        address, errors = await mutate(
            info, lambda c, a: svc.update_address(c, a, pk, values), Address.from_row
        )
        return AddressPayload(address=address, errors=errors)

    @strawberry.mutation(extensions=requires("tenancy.manage"), description="Soft delete.")
    async def deactivate_address(self, info: Info, id: strawberry.ID) -> AddressPayload:
        pk = decode_id(id, "Address")
        address, errors = await mutate(info, lambda c, a: svc.deactivate_address(c, a, pk), Address.from_row)
        return AddressPayload(address=address, errors=errors)

    @strawberry.mutation(
        extensions=requires("tenancy.manage"), description="Assign a provider to a facility (once per pair)."
    )
    async def assign_provider(self, info: Info, input: ProviderAssignmentInput) -> ProviderAssignmentPayload:
        values = _assignment_values(input, creating=True)
        assignment, errors = await mutate(
            info,
            lambda c, a: svc.assign_provider(c, a, values),
            ProviderAssignment.from_row,
            svc.ASSIGNMENT_UNIQUE,
        )
        return ProviderAssignmentPayload(provider_assignment=assignment, errors=errors)

    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def update_provider_assignment(
        self, info: Info, id: strawberry.ID, input: ProviderAssignmentInput
    ) -> ProviderAssignmentPayload:
        pk, values = decode_id(id, "ProviderAssignment"), _assignment_values(input, creating=False)
        assignment, errors = await mutate(
            info, lambda c, a: svc.update_assignment(c, a, pk, values), ProviderAssignment.from_row
        )
        return ProviderAssignmentPayload(provider_assignment=assignment, errors=errors)

    @strawberry.mutation(
        extensions=requires("tenancy.manage"),
        description="Status inactive; the end date becomes today unless one is set.",
    )
    async def end_provider_assignment(self, info: Info, id: strawberry.ID) -> ProviderAssignmentPayload:
        pk = decode_id(id, "ProviderAssignment")
        assignment, errors = await mutate(
            info, lambda c, a: svc.end_assignment(c, a, pk), ProviderAssignment.from_row
        )
        return ProviderAssignmentPayload(provider_assignment=assignment, errors=errors)

    @strawberry.mutation(
        extensions=requires("tenant.manage"),
        description="Change the signed-in tenant's name, settings or enabled features.",
    )
    async def update_tenant(self, info: Info, input: TenantInput) -> TenantPayload:
        values = given_fields(input, ["name", "settings", "features"])
        tenant, errors = await mutate(info, lambda c, a: svc.update_tenant(c, a, values), Tenant.from_row)
        return TenantPayload(tenant=tenant, errors=errors)
