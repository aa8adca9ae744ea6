"""Facilities: an organization's locations, where providers work and patients are seen."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON

from modules.tenancy import models as m
from modules.tenancy.types.enums import ActiveStatus, FacilityType, IdentifierType
from modules.tenancy.types.listings import ADDRESSES, ASSIGNMENTS, FACILITIES, PATIENTS
from modules.tenancy.types.refs import AddressRef, OrganizationRef, PatientRef, ProviderAssignmentRef
from schema.entities import entity, to_one
from schema.listing import connection
from schema.relay import Connection, Node


@entity(m.facilities, node="tenancy.read", listing=FACILITIES)
@strawberry.type
class Facility(Node):
    name: str
    type: FacilityType
    npi: str | None
    identifier: str | None
    identifier_type: IdentifierType | None
    is_ship_to: bool
    is_bill_to: bool
    timezone: str
    phone: str | None
    email: str | None
    business_hours: JSON | None
    status: ActiveStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    deactivated_at: dt.datetime | None

    organization: OrganizationRef | None = to_one("organization_id")
    addresses: Connection[AddressRef] = connection(ADDRESSES, parent="owner_id", backward=False)
    provider_assignments: Connection[ProviderAssignmentRef] = connection(
        ASSIGNMENTS, parent="facility_id", description="Providers assigned to this facility."
    )
    patients: Connection[PatientRef] = connection(
        PATIENTS,
        parent="facility_id",
        requires="patients.read",
        description="Patients registered at this facility (needs patients.read).",
    )
