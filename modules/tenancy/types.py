"""GraphQL types of the tenant's structure: organizations, facilities, addresses,
providers and their facility assignments. Built from plain rows; relations load
through dataloaders.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from modules.tenancy import loaders as ld
from modules.tenancy import models as m
from modules.tenancy.enums import (
    ActiveStatus,
    AddressType,
    FacilityType,
    IdentifierType,
    OrganizationStatus,
    OrganizationType,
    ProviderStatus,
)
from modules.tenancy.filters import (
    AddressFilter,
    AssignmentFilter,
    FacilityFilter,
    NamedOrder,
    PatientFilter,
    TimeOrder,
    address_where,
    assignment_where,
    facility_where,
    order_of,
    patient_where,
)
from schema.nested import child_connection
from schema.relay import Connection, Node, to_global_id

if TYPE_CHECKING:
    from modules.tenancy.people import Patient, User

PatientRef = Annotated["Patient", strawberry.lazy("modules.tenancy.people")]
UserRef = Annotated["User", strawberry.lazy("modules.tenancy.people")]


def _addresses(
    info: Info, owner_id: uuid.UUID, first: int | None, after: str | None, filter: AddressFilter | None
) -> Any:
    return child_connection(
        info,
        ld.ADDRESSES,
        Address.from_row,
        "owner_id",
        owner_id,
        address_where(filter),
        filter,
        ("created_at", False),
        first,
        after,
        None,
        None,
    )


@strawberry.type
class Address(Node):
    pk: strawberry.Private[uuid.UUID]
    address_type: AddressType
    street1: str
    street2: str | None
    city: str
    state_province: str
    postal_code: str
    country_code: str
    is_primary: bool
    owner_type: str
    created_at: dt.datetime
    deactivated_at: dt.datetime | None

    @classmethod
    def from_row(cls, r: Any) -> Address:
        return cls(
            id=to_global_id("Address", r.id),
            pk=r.id,
            address_type=AddressType(r.address_type),
            street1=r.street_1,
            street2=r.street_2,
            city=r.city,
            state_province=r.state_province,
            postal_code=r.postal_code,
            country_code=r.country_code,
            is_primary=r.is_primary,
            owner_type=r.owner_type,
            created_at=r.created_at,
            deactivated_at=r.deactivated_at,
        )


@strawberry.type
class Organization(Node):
    pk: strawberry.Private[uuid.UUID]
    tax_id_enc: strawberry.Private[bytes | None]
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

    @classmethod
    def from_row(cls, r: Any) -> Organization:
        return cls(
            id=to_global_id("Organization", r.id),
            pk=r.id,
            tax_id_enc=r.tax_id_enc,
            name=r.name,
            type=OrganizationType(r.type),
            status=OrganizationStatus(r.status),
            email=r.email,
            phone=r.phone,
            onboarding_date=r.onboarding_date,
            contract_details=r.contract_details,
            settings=r.settings,
            created_at=r.created_at,
            updated_at=r.updated_at,
            deactivated_at=r.deactivated_at,
        )

    @strawberry.field(description="The tax id with all but its last four characters hidden.")
    def tax_id_masked(self, info: Info) -> str | None:
        tax_id = info.context.cipher.open(self.tax_id_enc, row_id=str(self.pk), column="tax_id")
        return None if tax_id is None else "*" * max(len(tax_id) - 4, 0) + tax_id[-4:]

    @strawberry.field
    async def facilities(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: FacilityFilter | None = None,
        order_by: NamedOrder | None = None,
    ) -> Connection[Facility]:
        return await child_connection(
            info,
            ld.FACILITIES,
            Facility.from_row,
            "organization_id",
            self.pk,
            facility_where(filter),
            filter,
            order_of(order_by, NamedOrder()),
            first,
            after,
            last,
            before,
        )

    @strawberry.field
    async def addresses(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: AddressFilter | None = None,
    ) -> Connection[Address]:
        return await _addresses(info, self.pk, first, after, filter)


@strawberry.type
class Facility(Node):
    pk: strawberry.Private[uuid.UUID]
    organization_pk: strawberry.Private[uuid.UUID]
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

    @classmethod
    def from_row(cls, r: Any) -> Facility:
        return cls(
            id=to_global_id("Facility", r.id),
            pk=r.id,
            organization_pk=r.organization_id,
            name=r.name,
            type=FacilityType(r.type),
            npi=r.npi,
            identifier=r.identifier,
            identifier_type=IdentifierType(r.identifier_type) if r.identifier_type else None,
            is_ship_to=r.is_ship_to,
            is_bill_to=r.is_bill_to,
            timezone=r.timezone,
            phone=r.phone,
            email=r.email,
            business_hours=r.business_hours,
            status=ActiveStatus(r.status),
            created_at=r.created_at,
            updated_at=r.updated_at,
            deactivated_at=r.deactivated_at,
        )

    @strawberry.field
    async def organization(self, info: Info) -> Organization | None:
        row = await ld.load_row(info.context, m.organizations, self.organization_pk)
        return Organization.from_row(row) if row else None

    @strawberry.field
    async def addresses(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: AddressFilter | None = None,
    ) -> Connection[Address]:
        return await _addresses(info, self.pk, first, after, filter)

    @strawberry.field(description="Providers assigned to this facility.")
    async def provider_assignments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: AssignmentFilter | None = None,
        order_by: TimeOrder | None = None,
    ) -> Connection[ProviderAssignment]:
        return await child_connection(
            info,
            ld.ASSIGNMENTS,
            ProviderAssignment.from_row,
            "facility_id",
            self.pk,
            assignment_where(filter),
            filter,
            order_of(order_by, TimeOrder()),
            first,
            after,
            last,
            before,
        )

    @strawberry.field(description="Patients registered at this facility (needs patients.read).")
    async def patients(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: PatientFilter | None = None,
        order_by: TimeOrder | None = None,
    ) -> Connection[PatientRef]:
        from modules.tenancy.people import Patient, phi_search_log

        await info.context.require("patients.read")
        return await child_connection(
            info,
            ld.PATIENTS,
            Patient.from_row,
            "facility_id",
            self.pk,
            patient_where(info.context, filter),
            filter,
            order_of(order_by, TimeOrder()),
            first,
            after,
            last,
            before,
            record_matches=phi_search_log(info.context, filter),
        )


@strawberry.type
class Provider(Node):
    pk: strawberry.Private[uuid.UUID]
    user_pk: strawberry.Private[uuid.UUID | None]
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

    @classmethod
    def from_row(cls, r: Any) -> Provider:
        return cls(
            id=to_global_id("Provider", r.id),
            pk=r.id,
            user_pk=r.user_id,
            first_name=r.first_name,
            last_name=r.last_name,
            middle_name=r.middle_name,
            suffix=r.suffix,
            credentials=r.credentials,
            npi=r.npi,
            taxonomy_code=r.taxonomy_code,
            contact_email=r.contact_email,
            contact_phone=r.contact_phone,
            status=ProviderStatus(r.status),
            created_at=r.created_at,
            updated_at=r.updated_at,
            deactivated_at=r.deactivated_at,
        )

    @strawberry.field(description="The user account linked to this provider, if any (needs users.read).")
    async def user(self, info: Info) -> UserRef | None:
        from modules.tenancy.people import User

        if self.user_pk is None:
            return None
        await info.context.require("users.read")
        row = await ld.load_row(info.context, m.users, self.user_pk)
        return User.from_row(row) if row else None

    @strawberry.field
    async def assignments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: AssignmentFilter | None = None,
    ) -> Connection[ProviderAssignment]:
        return await child_connection(
            info,
            ld.ASSIGNMENTS,
            ProviderAssignment.from_row,
            "provider_id",
            self.pk,
            assignment_where(filter),
            filter,
            ("created_at", False),
            first,
            after,
            None,
            None,
        )

    @strawberry.field
    async def addresses(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: AddressFilter | None = None,
    ) -> Connection[Address]:
        return await _addresses(info, self.pk, first, after, filter)


@strawberry.type(description="A provider's assignment to a facility.")
class ProviderAssignment(Node):
    pk: strawberry.Private[uuid.UUID]
    facility_pk: strawberry.Private[uuid.UUID]
    provider_pk: strawberry.Private[uuid.UUID]
    is_primary_location: bool
    can_order: bool
    status: ActiveStatus
    start_date: dt.date
    end_date: dt.date | None
    created_at: dt.datetime

    @classmethod
    def from_row(cls, r: Any) -> ProviderAssignment:
        return cls(
            id=to_global_id("ProviderAssignment", r.id),
            pk=r.id,
            facility_pk=r.facility_id,
            provider_pk=r.provider_id,
            is_primary_location=r.is_primary_location,
            can_order=r.can_order,
            status=ActiveStatus(r.status),
            start_date=r.start_date,
            end_date=r.end_date,
            created_at=r.created_at,
        )

    @strawberry.field
    async def provider(self, info: Info) -> Provider | None:
        row = await ld.load_row(info.context, m.providers, self.provider_pk)
        return Provider.from_row(row) if row else None

    @strawberry.field
    async def facility(self, info: Info) -> Facility | None:
        row = await ld.load_row(info.context, m.facilities, self.facility_pk)
        return Facility.from_row(row) if row else None
