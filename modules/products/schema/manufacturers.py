"""Mutations of manufacturers, their settings and contact lists. Thin: read the input,
call the service through `mutate`, return a payload."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from modules.products.errors import ProductsError, mutate
from modules.products.service import manufacturers as makers
from modules.products.types.enums import (
    ContactPurpose,
    ManufacturerStatus,
    ManufacturerType,
    SubmissionMethod,
    VerificationFrequency,
    VerificationType,
)
from modules.products.types.manufacturer import Manufacturer, ManufacturerContact
from schema.mutations import input_values
from schema.permissions import requires
from schema.relay import decode_id

UNSET = strawberry.UNSET


@strawberry.input
class ManufacturerInput:
    name: str | None = UNSET
    type: ManufacturerType | None = UNSET
    status: ManufacturerStatus | None = UNSET
    email: str | None = UNSET
    phone: str | None = UNSET
    website: str | None = UNSET
    contact_info: JSON | None = UNSET


@strawberry.input
class ManufacturerSettingsInput:
    submission_method: SubmissionMethod | None = UNSET
    submission_config: JSON | None = UNSET
    primary_contacts: list[str] | None = UNSET
    cc_contacts: list[str] | None = UNSET
    verification_required: bool | None = UNSET
    verification_type: VerificationType | None = UNSET
    verification_frequency: VerificationFrequency | None = UNSET
    verification_documents: list[str] | None = UNSET
    onboarding_documents: list[str] | None = UNSET
    requires_owner_signature: bool | None = UNSET
    minimum_order_amount: Decimal | None = UNSET
    lead_time_days: int | None = UNSET


@strawberry.input
class ContactListInput:
    primary_recipients: list[str] | None = UNSET
    cc_recipients: list[str] | None = UNSET
    notes: str | None = UNSET


@strawberry.type
class ManufacturerPayload:
    manufacturer: Manufacturer | None
    errors: list[ProductsError]


@strawberry.type
class ManufacturerContactPayload:
    manufacturer_contact: ManufacturerContact | None
    errors: list[ProductsError]


@strawberry.type
class ManufacturerMutation:
    create_manufacturer = mutate.field(
        makers.create_manufacturer,
        input=ManufacturerInput,
        payload=ManufacturerPayload,
        requires="products.manage",
        unique=makers.MANUFACTURER_UNIQUE,
    )
    update_manufacturer = mutate.field(
        makers.update_manufacturer,
        id_of="Manufacturer",
        input=ManufacturerInput,
        payload=ManufacturerPayload,
        requires="products.manage",
        unique=makers.MANUFACTURER_UNIQUE,
    )
    deactivate_manufacturer = mutate.field(
        makers.deactivate_manufacturer,
        id_of="Manufacturer",
        payload=ManufacturerPayload,
        requires="products.manage",
    )

    @strawberry.mutation(
        extensions=requires("products.manage"), description="Change how orders and verifications work."
    )
    async def update_manufacturer_settings(
        self, info: Info, manufacturer_id: strawberry.ID, input: ManufacturerSettingsInput
    ) -> ManufacturerPayload:
        pk, values = decode_id(manufacturer_id, "Manufacturer"), input_values(input)
        return await mutate.respond(
            ManufacturerPayload, info, lambda c, a: makers.update_settings(c, a, pk, values)
        )

    @strawberry.mutation(
        extensions=requires("products.manage"),
        description="Create or replace the manufacturer's contact list for one purpose.",
    )
    async def set_manufacturer_contacts(
        self, info: Info, manufacturer_id: strawberry.ID, purpose: ContactPurpose, input: ContactListInput
    ) -> ManufacturerContactPayload:
        pk, values = decode_id(manufacturer_id, "Manufacturer"), input_values(input)
        return await mutate.respond(
            ManufacturerContactPayload,
            info,
            lambda c, a: makers.set_contact(c, a, pk, purpose.value, values),
        )

    remove_manufacturer_contacts = mutate.field(
        makers.remove_contact,
        id_of="ManufacturerContact",
        payload=ManufacturerContactPayload,
        requires="products.manage",
    )
