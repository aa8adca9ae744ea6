"""Providers (clinicians who order) and their assignments to facilities."""

from __future__ import annotations

import datetime as dt

import strawberry

from modules.tenancy import models as m
from modules.tenancy.types.enums import ActiveStatus, ProviderStatus
from modules.tenancy.types.listings import ADDRESSES, ASSIGNMENTS, PROVIDERS
from modules.tenancy.types.refs import AddressRef, FacilityRef, ProviderAssignmentRef, UserRef
from schema.entities import entity, to_one
from schema.listing import connection
from schema.relay import Connection, Node


@entity(m.providers, node="tenancy.read", listing=PROVIDERS)
@strawberry.type
class Provider(Node):
    first_name: str
    last_name: str
    middle_name: str | None
    suffix: str | None
    credentials: str
    npi: str
    taxonomy_code: str | None
    contact_email: str | None
    contact_phone: str | None
    status: ProviderStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    deactivated_at: dt.datetime | None

    user: UserRef | None = to_one(
        "user_id",
        requires="users.read",
        description="The user account linked to this provider, if any (needs users.read).",
    )
    assignments: Connection[ProviderAssignmentRef] = connection(
        ASSIGNMENTS, parent="provider_id", backward=False, ordered=False
    )
    addresses: Connection[AddressRef] = connection(ADDRESSES, parent="owner_id", backward=False)


@entity(m.provider_assignments, node="tenancy.read", listing=ASSIGNMENTS)
@strawberry.type(description="A provider's assignment to a facility.")
class ProviderAssignment(Node):
    is_primary_location: bool
    can_order: bool
    status: ActiveStatus
    start_date: dt.date
    end_date: dt.date | None
    created_at: dt.datetime

    provider: Provider | None = to_one("provider_id")
    facility: FacilityRef | None = to_one("facility_id")
