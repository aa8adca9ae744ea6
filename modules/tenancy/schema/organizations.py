"""Mutations for organizations, facilities and patients. Thin: read the input, call the
service through `mutate`, return a payload."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from modules.tenancy.errors import TenancyError, TenancyErrorCode, mutate
from modules.tenancy.service import organizations as orgs
from modules.tenancy.service import patients
from modules.tenancy.types.enums import (
    ActiveStatus,
    FacilityType,
    IdentifierType,
    OrganizationStatus,
    OrganizationType,
    Sex,
)
from modules.tenancy.types.facility import Facility
from modules.tenancy.types.organization import Organization
from modules.tenancy.types.patient import Patient
from schema.mutations import input_values
from schema.permissions import requires
from schema.relay import decode_id

UNSET = strawberry.UNSET


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


@strawberry.type
class PatientPayload:
    patient: Patient | None
    errors: list[TenancyError]


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


def _facility_values(data: FacilityInput, creating: bool) -> dict:
    if not creating:  # a facility stays with its organization
        return input_values(data, omit=("organization_id",))
    values = input_values(data, ids={"organization_id": "Organization"})
    values.setdefault("type", "clinic")
    values.setdefault("timezone", "UTC")
    return values


@strawberry.type
class TenancyMutation:
    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def create_organization(self, info: Info, input: OrganizationInput) -> OrganizationPayload:
        values = {"type": "clinic", **input_values(input)}
        return await mutate.respond(
            OrganizationPayload,
            info,
            lambda c, a: orgs.create_organization(c, a, info.context.cipher, values),
            orgs.ORG_UNIQUE,
        )

    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def update_organization(
        self, info: Info, id: strawberry.ID, input: OrganizationInput
    ) -> OrganizationPayload:
        pk, values = decode_id(id, "Organization"), input_values(input)
        return await mutate.respond(
            OrganizationPayload,
            info,
            lambda c, a: orgs.update_organization(c, a, info.context.cipher, pk, values),
            orgs.ORG_UNIQUE,
        )

    @strawberry.mutation(
        extensions=requires("tenancy.manage"), description="Soft delete; its facilities are deactivated too."
    )
    async def deactivate_organization(self, info: Info, id: strawberry.ID) -> OrganizationPayload:
        pk = decode_id(id, "Organization")
        return await mutate.respond(
            OrganizationPayload, info, lambda c, a: orgs.deactivate_organization(c, a, pk)
        )

    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def create_facility(self, info: Info, input: FacilityInput) -> FacilityPayload:
        values = _facility_values(input, creating=True)
        return await mutate.respond(
            FacilityPayload, info, lambda c, a: orgs.create_facility(c, a, values), orgs.FACILITY_UNIQUE
        )

    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def update_facility(self, info: Info, id: strawberry.ID, input: FacilityInput) -> FacilityPayload:
        pk, values = decode_id(id, "Facility"), _facility_values(input, creating=False)
        return await mutate.respond(
            FacilityPayload, info, lambda c, a: orgs.update_facility(c, a, pk, values), orgs.FACILITY_UNIQUE
        )

    @strawberry.mutation(extensions=requires("tenancy.manage"))
    async def deactivate_facility(self, info: Info, id: strawberry.ID) -> FacilityPayload:
        pk = decode_id(id, "Facility")
        return await mutate.respond(FacilityPayload, info, lambda c, a: orgs.deactivate_facility(c, a, pk))

    @strawberry.mutation(extensions=requires("patients.manage"))
    async def create_patient(self, info: Info, input: PatientInput) -> PatientPayload:
        values = {"facility_id": None, **input_values(input, ids={"facility_id": "Facility"})}
        payload = await mutate.respond(
            PatientPayload,
            info,
            lambda c, a: patients.create_patient(c, a, info.context.cipher, values),
            patients.PATIENT_UNIQUE,
        )
        await _log_duplicate_mrn(info, values, payload.errors)
        return payload

    @strawberry.mutation(extensions=requires("patients.manage"))
    async def update_patient(self, info: Info, id: strawberry.ID, input: PatientInput) -> PatientPayload:
        pk, values = decode_id(id, "Patient"), input_values(input, ids={"facility_id": "Facility"})
        payload = await mutate.respond(
            PatientPayload,
            info,
            lambda c, a: patients.update_patient(c, a, info.context.cipher, pk, values),
            patients.PATIENT_UNIQUE,
        )
        await _log_duplicate_mrn(info, values, payload.errors)
        return payload

    @strawberry.mutation(extensions=requires("patients.manage"))
    async def deactivate_patient(self, info: Info, id: strawberry.ID) -> PatientPayload:
        pk = decode_id(id, "Patient")
        return await mutate.respond(PatientPayload, info, lambda c, a: patients.deactivate_patient(c, a, pk))
