"""Mutations for organizations, facilities and patients. Thin: decode IDs, pick the
fields sent, call the service through `mutate`, return a payload."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from modules.tenancy.enums import (
    ActiveStatus,
    FacilityType,
    IdentifierType,
    OrganizationStatus,
    OrganizationType,
    Sex,
)
from modules.tenancy.errors import TenancyError, TenancyErrorCode
from modules.tenancy.mutation_support import mutate
from modules.tenancy.people import Patient
from modules.tenancy.services import organizations as orgs
from modules.tenancy.services import patients
from modules.tenancy.types import Facility, Organization
from schema.mutations import given_fields
from schema.permissions import requires
from schema.relay import decode_id

UNSET = strawberry.UNSET


def _enum_values(values: dict) -> dict:
    return {k: (v.value if hasattr(v, "value") and not isinstance(v, str) else v) for k, v in values.items()}


@strawberry.input
class OrganizationInput:
    name: str | None = UNSET
    type: OrganizationType | None = UNSET
    status: OrganizationStatus | None = UNSET
    tax_id: str | None = UNSET
    email: str | None = UNSET
    phone: str | None = UNSET
    onboarding_date: dt.date | None = UNSET
    contract_details: JSON | None = UNSET
    settings: JSON | None = UNSET


ORG_FIELDS = [
    "name",
    "type",
    "status",
    "tax_id",
    "email",
    "phone",
    "onboarding_date",
    "contract_details",
    "settings",
]


@strawberry.type
class OrganizationPayload:
    organization: Organization | None
    errors: list[TenancyError]


@strawberry.input
class FacilityInput:
    organization_id: strawberry.ID | None = UNSET
    name: str | None = UNSET
    type: FacilityType | None = UNSET
    npi: str | None = UNSET
    identifier: str | None = UNSET
    identifier_type: IdentifierType | None = UNSET
    is_ship_to: bool | None = UNSET
    is_bill_to: bool | None = UNSET
    timezone: str | None = UNSET
    phone: str | None = UNSET
    email: str | None = UNSET
    business_hours: JSON | None = UNSET
    status: ActiveStatus | None = UNSET


FACILITY_FIELDS = [
    "name",
    "type",
    "npi",
    "identifier",
    "identifier_type",
    "is_ship_to",
    "is_bill_to",
    "timezone",
    "phone",
    "email",
    "business_hours",
    "status",
]


@strawberry.type
class FacilityPayload:
    facility: Facility | None
    errors: list[TenancyError]


@strawberry.input(description="Patient demographics are PHI: encrypted at rest.")
class PatientInput:
    facility_id: strawberry.ID | None = UNSET
    mrn: str | None = UNSET
    first_name: str | None = UNSET
    last_name: str | None = UNSET
    date_of_birth: dt.date | None = UNSET
    sex: Sex | None = UNSET
    phone: str | None = UNSET
    email: str | None = UNSET
    status: ActiveStatus | None = UNSET


PATIENT_FIELDS = ["mrn", "first_name", "last_name", "date_of_birth", "sex", "phone", "email"]


@strawberry.type
class PatientPayload:
    patient: Patient | None
    errors: list[TenancyError]


def _org_values(data: OrganizationInput) -> dict:
    return _enum_values(given_fields(data, ORG_FIELDS))


def _facility_values(data: FacilityInput, creating: bool) -> dict:
    values = _enum_values(given_fields(data, FACILITY_FIELDS))
    if creating:
        values.setdefault("type", "clinic")
        values.setdefault("timezone", "UTC")
        values["organization_id"] = decode_id(data.organization_id or "", "Organization")
    return values


def _patient_values(data: PatientInput) -> dict:
    values = given_fields(data, PATIENT_FIELDS)
    if data.facility_id is not UNSET:
        values["facility_id"] = decode_id(data.facility_id or "", "Facility")
    if data.status is not UNSET and data.status is not None:
        values["status"] = data.status.value
    return values


async def _log_duplicate_mrn(info: Info, values: dict, errors: list[TenancyError]) -> None:
    """A DUPLICATE on the MRN tells the caller that some patient has it, even one at a
    facility they cannot see: log it as an access of that patient, with the request's
    stated reason, so every such probe is auditable."""
    if not any(e.field == "input.mrn" and e.code is TenancyErrorCode.DUPLICATE for e in errors):
        return
    ctx = info.context
    async with ctx.uow.use() as conn:
        holder = await patients.holder_of_mrn(conn, ctx.cipher, values["mrn"])
    if holder is not None:
        ctx.phi.record(holder, "duplicate:mrn")


@strawberry.type
class TenancyMutation:
    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def create_organization(self, info: Info, input: OrganizationInput) -> OrganizationPayload:
        values = _org_values(input)
        values.setdefault("type", "clinic")
        org, errors = await mutate(
            info,
            lambda c, a: orgs.create_organization(c, a, info.context.cipher, values),
            Organization.from_row,
            orgs.ORG_UNIQUE,
        )
        return OrganizationPayload(organization=org, errors=errors)

    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def update_organization(
        self, info: Info, id: strawberry.ID, input: OrganizationInput
    ) -> OrganizationPayload:
        pk, values = decode_id(id, "Organization"), _org_values(input)
        org, errors = await mutate(
            info,
            lambda c, a: orgs.update_organization(c, a, info.context.cipher, pk, values),
            Organization.from_row,
            orgs.ORG_UNIQUE,
        )
        return OrganizationPayload(organization=org, errors=errors)

    @strawberry.mutation(
        extensions=requires("tenancy.manage"), description="Soft delete; its facilities are deactivated too."
    )
    async def deactivate_organization(self, info: Info, id: strawberry.ID) -> OrganizationPayload:
        pk = decode_id(id, "Organization")
        org, errors = await mutate(
            info, lambda c, a: orgs.deactivate_organization(c, a, pk), Organization.from_row
        )
        return OrganizationPayload(organization=org, errors=errors)

    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def create_facility(self, info: Info, input: FacilityInput) -> FacilityPayload:
        values = _facility_values(input, creating=True)
        facility, errors = await mutate(
            info, lambda c, a: orgs.create_facility(c, a, values), Facility.from_row, orgs.FACILITY_UNIQUE
        )
        return FacilityPayload(facility=facility, errors=errors)

    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def update_facility(self, info: Info, id: strawberry.ID, input: FacilityInput) -> FacilityPayload:
        pk, values = decode_id(id, "Facility"), _facility_values(input, creating=False)
        facility, errors = await mutate(
            info, lambda c, a: orgs.update_facility(c, a, pk, values), Facility.from_row, orgs.FACILITY_UNIQUE
        )
        return FacilityPayload(facility=facility, errors=errors)

    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def deactivate_facility(self, info: Info, id: strawberry.ID) -> FacilityPayload:
        pk = decode_id(id, "Facility")
        facility, errors = await mutate(
            info, lambda c, a: orgs.deactivate_facility(c, a, pk), Facility.from_row
        )
        return FacilityPayload(facility=facility, errors=errors)

    @strawberry.mutation(extensions=requires("patients.manage"))
    async def create_patient(self, info: Info, input: PatientInput) -> PatientPayload:
        values = _patient_values(input)
        values.setdefault("facility_id", None)
        patient, errors = await mutate(
            info,
            lambda c, a: patients.create_patient(c, a, info.context.cipher, values),
            Patient.from_row,
            patients.PATIENT_UNIQUE,
        )
        await _log_duplicate_mrn(info, values, errors)
        return PatientPayload(patient=patient, errors=errors)

    @strawberry.mutation(extensions=requires("patients.manage"))
    async def update_patient(self, info: Info, id: strawberry.ID, input: PatientInput) -> PatientPayload:
        pk, values = decode_id(id, "Patient"), _patient_values(input)
        patient, errors = await mutate(
            info,
            lambda c, a: patients.update_patient(c, a, info.context.cipher, pk, values),
            Patient.from_row,
            patients.PATIENT_UNIQUE,
        )
        await _log_duplicate_mrn(info, values, errors)
        return PatientPayload(patient=patient, errors=errors)

    @strawberry.mutation(extensions=requires("patients.manage"))
    async def deactivate_patient(self, info: Info, id: strawberry.ID) -> PatientPayload:
        pk = decode_id(id, "Patient")
        patient, errors = await mutate(
            info, lambda c, a: patients.deactivate_patient(c, a, pk), Patient.from_row
        )
        return PatientPayload(patient=patient, errors=errors)
