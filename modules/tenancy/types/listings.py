"""How each tenancy list filters and sorts: the filter inputs, the SQL conditions they
mean, and one `Listing` per list (see schema/listing.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import strawberry

from app.context import RequestContext
from app.errors import InputLimitError, PermissionDenied
from app.tables import audit_log, phi_access_log
from modules.tenancy import models as m
from modules.tenancy.types.enums import (
    ActiveStatus,
    AddressType,
    FacilityType,
    OrganizationStatus,
    OrganizationType,
    ProviderStatus,
)
from schema.filtering import FieldMatch, id_matches
from schema.input_values import instant
from schema.listing import Listing
from schema.lists import MatchRecorder
from schema.ordering import NAMED_COLUMNS, TIMED_COLUMNS, NamedOrder, TimeOrder
from schema.relay import from_global_id


@strawberry.input
class OrganizationFilter:
    search: str | None = strawberry.field(default=None, description="Part of the name")
    types: list[OrganizationType] | None = None
    statuses: list[OrganizationStatus] | None = None
    include_deactivated: bool = False


@strawberry.input
class FacilityFilter:
    search: str | None = None
    types: list[FacilityType] | None = None
    statuses: list[ActiveStatus] | None = None
    npi: str | None = None
    include_deactivated: bool = False


@strawberry.input
class ProviderFilter:
    search: str | None = strawberry.field(default=None, description="Part of first or last name")
    npi: str | None = None
    statuses: list[ProviderStatus] | None = None
    include_deactivated: bool = False


@strawberry.input
class AssignmentFilter:
    statuses: list[ActiveStatus] | None = None
    can_order: bool | None = None


@strawberry.input
class AddressFilter:
    address_types: list[AddressType] | None = None
    include_deactivated: bool = False


@strawberry.input
class UserFilter:
    search: str | None = strawberry.field(default=None, description="Part of email or name")
    is_active: bool | None = None


@strawberry.input
class PatientFilter:
    facility_id: strawberry.ID | None = None
    mrn: str | None = strawberry.field(default=None, description="Exact MRN (blind-index lookup)")
    last_name: str | None = strawberry.field(
        default=None, description="Exact last name; needs dateOfBirth (blind-index lookup)"
    )
    date_of_birth: dt.date | None = None
    statuses: list[ActiveStatus] | None = None
    include_deactivated: bool = False


@strawberry.input
class AuditLogFilter:
    entity_type: str | None = None
    entity_id: strawberry.ID | None = None
    actor_id: strawberry.ID | None = None
    action: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def _values(items: list[Any] | None) -> list[str] | None:
    return [item.value for item in items] if items else None


def phi_searched(f: PatientFilter | None) -> list[str]:
    """The PHI fields a patient filter searches by: each patient it finds is logged as read."""
    if f is None:
        return []
    return [
        name
        for name, given in (("mrn", f.mrn), ("lastName", f.last_name), ("dateOfBirth", f.date_of_birth))
        if given
    ]


def patient_where(ctx: RequestContext, f: PatientFilter | None) -> list[sa.ColumnElement[bool]]:
    """Patients are found by exact MRN or last name + birth date through keyed hashes."""
    f = f or PatientFilter()
    t = m.patients.c
    where: list[sa.ColumnElement[bool]] = [] if f.include_deactivated else [t.deactivated_at.is_(None)]
    if f.facility_id is not None:
        where.append(id_matches(t.facility_id, f.facility_id, "Facility"))
    if phi_searched(f):
        # Finding a patient by MRN or name tells PHI as surely as reading it does.
        principal = ctx.current
        if principal is None or not principal.can("patients.read_phi"):
            raise PermissionDenied("Missing permission 'patients.read_phi' (to search by MRN or name)")
    if f.mrn:
        where.append(t.mrn_index == ctx.cipher.blind_index(f.mrn))
    if f.last_name or f.date_of_birth:
        if not (f.last_name and f.date_of_birth):
            raise InputLimitError("Search by lastName needs dateOfBirth too, and the reverse")
        where.append(t.name_dob_index == ctx.cipher.blind_index(f.last_name, f.date_of_birth.isoformat()))
    if statuses := _values(f.statuses):
        where.append(t.status.in_(statuses))
    return where


def audit_where(_: RequestContext, f: AuditLogFilter | None) -> list[sa.ColumnElement[bool]]:
    f = f or AuditLogFilter()
    t = audit_log.c
    where: list[sa.ColumnElement[bool]] = []
    if f.entity_type:
        where.append(t.entity_type == f.entity_type)
    if f.entity_id:
        type_name, pk = from_global_id(f.entity_id)
        where += [t.entity_type == type_name, t.entity_id == pk]
    if f.actor_id:
        where.append(id_matches(t.actor_user_id, f.actor_id, "User"))
    if f.action:
        where.append(t.action == f.action)
    if f.since:
        where.append(t.created_at >= instant(f.since, "since"))
    if f.until:
        where.append(t.created_at < instant(f.until, "until"))
    return where


def phi_search_log(ctx: RequestContext, f: PatientFilter | None) -> MatchRecorder | None:
    """For a search by PHI: records every patient it matches in the access log."""
    searched = phi_searched(f)
    if not searched:
        return None

    def record(patient_ids: Sequence[uuid.UUID]) -> None:
        for patient_id in patient_ids:
            for name in searched:
                ctx.phi.record(patient_id, f"search:{name}")

    return record


ORGANIZATIONS = Listing(
    m.organizations,
    NAMED_COLUMNS,
    OrganizationFilter,
    FieldMatch(search=("name",), types="type", statuses="status"),
    NamedOrder,
)
FACILITIES = Listing(
    m.facilities,
    NAMED_COLUMNS,
    FacilityFilter,
    FieldMatch(search=("name",), types="type", statuses="status", npi="npi"),
    NamedOrder,
)
PROVIDERS = Listing(
    m.providers,
    NAMED_COLUMNS | {"name": "last_name"},
    ProviderFilter,
    FieldMatch(search=("first_name", "last_name"), npi="npi", statuses="status"),
    NamedOrder,
)
ASSIGNMENTS = Listing(
    m.provider_assignments,
    TIMED_COLUMNS,
    AssignmentFilter,
    FieldMatch(statuses="status", can_order="can_order"),
    TimeOrder,
    fixed_order=("created_at", False),
)
ADDRESSES = Listing(
    m.addresses,
    TIMED_COLUMNS,
    AddressFilter,
    FieldMatch(address_types="address_type"),
    fixed_order=("created_at", False),
)
USERS = Listing(
    m.users,
    NAMED_COLUMNS | {"name": "email"},
    UserFilter,
    FieldMatch(search=("email", "full_name"), is_active="is_active"),
    NamedOrder,
)
ROLES = Listing(m.roles, NAMED_COLUMNS, fixed_order=("name", False))
MEMBERSHIPS = Listing(
    m.memberships, {"created_at": "created_at", "updated_at": "created_at"}, fixed_order=("created_at", False)
)
PATIENTS = Listing(m.patients, TIMED_COLUMNS, PatientFilter, patient_where, TimeOrder, matches=phi_search_log)
AUDIT = Listing(
    audit_log,
    {"created_at": "created_at", "updated_at": "created_at"},
    AuditLogFilter,
    audit_where,
    TimeOrder,
)
PHI_ACCESS = Listing(
    phi_access_log,
    {"created_at": "accessed_at", "updated_at": "accessed_at"},
    fixed_order=("created_at", True),
)
