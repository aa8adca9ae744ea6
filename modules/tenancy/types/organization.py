"""Organizations: the tenant's customers (hospitals, clinics, practices, ...)."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from modules.tenancy import models as m
from modules.tenancy.types.enums import OrganizationStatus, OrganizationType
from modules.tenancy.types.listings import ADDRESSES, FACILITIES, ORGANIZATIONS
from modules.tenancy.types.refs import AddressRef, FacilityRef
from schema.entities import entity
from schema.listing import connection
from schema.relay import Connection, Node


def _tax_id_masked(root: Organization, info: Info) -> str | None:
    tax_id = info.context.cipher.open(root.row.tax_id_enc, row_id=str(root.row.id), column="tax_id")
    return None if tax_id is None else "*" * max(len(tax_id) - 4, 0) + tax_id[-4:]


@entity(m.organizations, node="tenancy.read", listing=ORGANIZATIONS)
@strawberry.type
class Organization(Node):
    name: str
    type: OrganizationType
    status: OrganizationStatus
    email: str | None
    phone: str | None
    onboarding_date: dt.date | None
    contract_details: JSON | None
    settings: JSON
    created_at: dt.datetime
    updated_at: dt.datetime
    deactivated_at: dt.datetime | None

    tax_id_masked: str | None = strawberry.field(
        resolver=_tax_id_masked, description="The tax id with all but its last four characters hidden."
    )
    facilities: Connection[FacilityRef] = connection(FACILITIES, parent="organization_id")
    addresses: Connection[AddressRef] = connection(ADDRESSES, parent="owner_id", backward=False)
