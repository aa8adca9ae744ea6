"""Manufacturers (and distributors, pharmacies): who makes what the catalog sells, how
orders reach them, and whom to contact for what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from modules.products import models as m
from modules.products.types.enums import (
    ContactPurpose,
    ManufacturerStatus,
    ManufacturerType,
    SubmissionMethod,
    VerificationFrequency,
    VerificationType,
)
from modules.products.types.listings import CONTACTS, MANUFACTURERS, PRODUCTS
from modules.products.types.refs import ManufacturerContactRef, ManufacturerSettingsRef, ProductRef
from modules.tenancy import UserRef
from schema.entities import entity, to_one
from schema.listing import connection
from schema.relay import Connection, Node


@entity(m.manufacturers, node="products.read", listing=MANUFACTURERS)
@strawberry.type
class Manufacturer(Node):
    name: str
    type: ManufacturerType
    status: ManufacturerStatus
    email: str | None
    phone: str | None
    website: str | None
    contact_info: JSON
    created_at: dt.datetime
    updated_at: dt.datetime
    deactivated_at: dt.datetime | None

    settings: ManufacturerSettingsRef | None = to_one("id", description="How orders and verifications work.")
    contacts: Connection[ManufacturerContactRef] = connection(
        CONTACTS, parent="manufacturer_id", backward=False, description="Contact lists, one per purpose."
    )
    products: Connection[ProductRef] = connection(PRODUCTS, parent="manufacturer_id")


@entity(m.manufacturer_settings)
@strawberry.type(description="A manufacturer's order submission, verification and onboarding rules.")
class ManufacturerSettings:
    submission_method: SubmissionMethod
    submission_config: JSON
    primary_contacts: list[str]
    cc_contacts: list[str]
    verification_required: bool
    verification_type: VerificationType | None
    verification_frequency: VerificationFrequency | None
    verification_documents: list[str]
    onboarding_documents: list[str]
    requires_owner_signature: bool
    minimum_order_amount: Decimal | None
    lead_time_days: int
    updated_at: dt.datetime


@entity(m.manufacturer_contacts, node="products.read", listing=CONTACTS)
@strawberry.type(description="Who receives a manufacturer's mail for one purpose.")
class ManufacturerContact(Node):
    purpose: ContactPurpose
    primary_recipients: list[str]
    cc_recipients: list[str]
    notes: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    updated_by: UserRef | None = to_one("updated_by", requires="users.read", description="Needs users.read.")
