"""GraphQL types for people and records about them: the tenant, users, roles,
memberships, patients (PHI) and the audit trails.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from app.context import RequestContext
from modules.tenancy import loaders as ld
from modules.tenancy import models as m
from modules.tenancy.enums import ActiveStatus, MembershipRole, Sex
from modules.tenancy.filters import PatientFilter, phi_searched
from modules.tenancy.types import Facility, Organization
from schema.errors import PermissionDenied
from schema.lists import MatchRecorder
from schema.nested import child_connection
from schema.relay import Connection, Node, to_global_id


@strawberry.type(description="The tenant you are signed in to.")
class Tenant(Node):
    slug: str
    name: str
    settings: JSON
    features: JSON
    is_active: bool
    created_at: dt.datetime

    @classmethod
    def from_row(cls, r: Any) -> Tenant:
        return cls(
            id=to_global_id("Tenant", r.id),
            slug=r.slug,
            name=r.name,
            settings=r.settings,
            features=r.features,
            is_active=r.is_active,
            created_at=r.created_at,
        )


@strawberry.type
class Permission:
    key: str
    module: str
    description: str


@strawberry.type
class Role(Node):
    pk: strawberry.Private[uuid.UUID]
    key: str
    name: str
    description: str | None
    is_system: bool

    @classmethod
    def from_row(cls, r: Any) -> Role:
        return cls(
            id=to_global_id("Role", r.id),
            pk=r.id,
            key=r.key,
            name=r.name,
            description=r.description,
            is_system=r.is_system,
        )

    @strawberry.field(description="Permission keys this role grants.")
    async def permissions(self, info: Info) -> list[str]:
        return await ld.permission_keys_by_role(info.context).load(self.pk)


@strawberry.type(description="A user's membership in an organization or a facility.")
class Membership(Node):
    pk: strawberry.Private[uuid.UUID]
    user_pk: strawberry.Private[uuid.UUID]
    organization_pk: strawberry.Private[uuid.UUID | None]
    facility_pk: strawberry.Private[uuid.UUID | None]
    role: MembershipRole
    is_primary: bool
    created_at: dt.datetime

    @classmethod
    def from_row(cls, r: Any) -> Membership:
        return cls(
            id=to_global_id("Membership", r.id),
            pk=r.id,
            user_pk=r.user_id,
            organization_pk=r.organization_id,
            facility_pk=r.facility_id,
            role=MembershipRole(r.role),
            is_primary=r.is_primary,
            created_at=r.created_at,
        )

    @strawberry.field(description="Needs tenancy.read.")
    async def organization(self, info: Info) -> Organization | None:
        if self.organization_pk is None:
            return None
        await info.context.require("tenancy.read")
        row = await ld.load_row(info.context, m.organizations, self.organization_pk)
        return Organization.from_row(row) if row else None

    @strawberry.field(description="Needs tenancy.read.")
    async def facility(self, info: Info) -> Facility | None:
        if self.facility_pk is None:
            return None
        await info.context.require("tenancy.read")
        row = await ld.load_row(info.context, m.facilities, self.facility_pk)
        return Facility.from_row(row) if row else None


async def _require_users_read_or_self(info: Info, user_pk: uuid.UUID) -> None:
    """A user's roles and memberships: for user administrators, and for the user."""
    principal = await info.context.principal()
    if principal.user_id != user_pk and not principal.can("users.read"):
        raise PermissionDenied("Missing permission 'users.read'")


@strawberry.type
class User(Node):
    pk: strawberry.Private[uuid.UUID]
    email: str
    full_name: str
    is_active: bool
    email_verified_at: dt.datetime | None
    last_login_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_row(cls, r: Any) -> User:
        return cls(
            id=to_global_id("User", r.id),
            pk=r.id,
            email=r.email,
            full_name=r.full_name,
            is_active=r.is_active,
            email_verified_at=r.email_verified_at,
            last_login_at=r.last_login_at,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )

    @strawberry.field(description="Needs users.read, unless this is the caller.")
    async def roles(self, info: Info) -> list[Role]:
        await _require_users_read_or_self(info, self.pk)
        return [Role.from_row(row) for row in await ld.roles_by_user(info.context).load(self.pk)]

    @strawberry.field(description="Needs users.read, unless this is the caller.")
    async def memberships(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Membership]:
        await _require_users_read_or_self(info, self.pk)
        return await child_connection(
            info,
            ld.MEMBERSHIPS,
            Membership.from_row,
            "user_id",
            self.pk,
            [],
            None,
            ("created_at", False),
            first,
            after,
            None,
            None,
        )


PHI_COLUMNS = {
    "mrn": "mrn_enc",
    "first_name": "first_name_enc",
    "last_name": "last_name_enc",
    "date_of_birth": "date_of_birth_enc",
    "sex": "sex_enc",
    "phone": "phone_enc",
    "email": "email_enc",
}


def _phi(patient: Patient, info: Info, field: str) -> str | None:
    """Open one PHI field: needs patients.read_phi, and is recorded for the access log."""
    principal = info.context.current
    if principal is None or not principal.can("patients.read_phi"):
        raise PermissionDenied("Missing permission 'patients.read_phi'")
    info.context.phi.record(patient.pk, field)
    return info.context.cipher.open(patient.sealed[field], row_id=str(patient.pk), column=field)


def phi_search_log(ctx: RequestContext, filter: PatientFilter | None) -> MatchRecorder | None:
    """For a search by PHI: records every patient it matches in the access log."""
    searched = phi_searched(filter)
    if not searched:
        return None

    def record(patient_ids: Sequence[uuid.UUID]) -> None:
        for patient_id in patient_ids:
            for name in searched:
                ctx.phi.record(patient_id, f"search:{name}")

    return record


@strawberry.type(
    description="A patient. Demographics are PHI: reading them needs "
    "patients.read_phi and is logged per patient and request."
)
class Patient(Node):
    pk: strawberry.Private[uuid.UUID]
    facility_pk: strawberry.Private[uuid.UUID]
    sealed: strawberry.Private[dict[str, bytes | None]]
    status: ActiveStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    deactivated_at: dt.datetime | None

    @classmethod
    def from_row(cls, r: Any) -> Patient:
        row = r._mapping
        return cls(
            id=to_global_id("Patient", r.id),
            pk=r.id,
            facility_pk=r.facility_id,
            sealed={field: row[column] for field, column in PHI_COLUMNS.items()},
            status=ActiveStatus(r.status),
            created_at=r.created_at,
            updated_at=r.updated_at,
            deactivated_at=r.deactivated_at,
        )

    @strawberry.field(description="Medical record number (PHI).")
    def mrn(self, info: Info) -> str | None:
        return _phi(self, info, "mrn")

    @strawberry.field(description="PHI.")
    def first_name(self, info: Info) -> str | None:
        return _phi(self, info, "first_name")

    @strawberry.field(description="PHI.")
    def last_name(self, info: Info) -> str | None:
        return _phi(self, info, "last_name")

    @strawberry.field(description="PHI.")
    def date_of_birth(self, info: Info) -> dt.date | None:
        value = _phi(self, info, "date_of_birth")
        return dt.date.fromisoformat(value) if value else None

    @strawberry.field(description="PHI.")
    def sex(self, info: Info) -> Sex | None:
        value = _phi(self, info, "sex")
        return Sex(value) if value else None

    @strawberry.field(description="PHI.")
    def phone(self, info: Info) -> str | None:
        return _phi(self, info, "phone")

    @strawberry.field(description="PHI.")
    def email(self, info: Info) -> str | None:
        return _phi(self, info, "email")

    @strawberry.field(description="Needs tenancy.read.")
    async def facility(self, info: Info) -> Facility | None:
        await info.context.require("tenancy.read")
        row = await ld.load_row(info.context, m.facilities, self.facility_pk)
        return Facility.from_row(row) if row else None


@strawberry.type(description="One change made through the API, with before/after values (PHI redacted).")
class AuditEntry(Node):
    actor_pk: strawberry.Private[uuid.UUID | None]
    action: str
    entity_type: str
    entity_id: strawberry.ID | None
    changes: JSON
    request_id: str | None
    created_at: dt.datetime

    @classmethod
    def from_row(cls, r: Any) -> AuditEntry:
        return cls(
            id=to_global_id("AuditEntry", r.id),
            actor_pk=r.actor_user_id,
            action=r.action,
            entity_type=r.entity_type,
            entity_id=to_global_id(r.entity_type, r.entity_id) if r.entity_id else None,
            changes=r.changes,
            request_id=r.request_id,
            created_at=r.created_at,
        )

    @strawberry.field(description="Needs users.read.")
    async def actor(self, info: Info) -> User | None:
        if self.actor_pk is None:
            return None
        await info.context.require("users.read")
        row = await ld.load_row(info.context, m.users, self.actor_pk)
        return User.from_row(row) if row else None


@strawberry.type(description="One request's reads of one patient's PHI.")
class PhiAccessEntry(Node):
    user_pk: strawberry.Private[uuid.UUID]
    patient_id: strawberry.ID
    fields: list[str]
    action: str
    reason: str
    operation_name: str | None
    operation_hash: str
    request_id: str | None
    accessed_at: dt.datetime

    @classmethod
    def from_row(cls, r: Any) -> PhiAccessEntry:
        return cls(
            id=to_global_id("PhiAccessEntry", r.id),
            user_pk=r.user_id,
            patient_id=to_global_id("Patient", r.patient_id),
            fields=list(r.fields),
            action=r.action,
            reason=r.reason,
            operation_name=r.operation_name,
            operation_hash=r.operation_hash,
            request_id=r.request_id,
            accessed_at=r.accessed_at,
        )

    @strawberry.field(description="Needs users.read.")
    async def user(self, info: Info) -> User | None:
        await info.context.require("users.read")
        row = await ld.load_row(info.context, m.users, self.user_pk)
        return User.from_row(row) if row else None


@strawberry.type(
    description="The signed-in user and what they may do; memberships are on `user.memberships`."
)
class Me:
    user: User
    tenant: Tenant
    roles: list[str]
    permissions: list[str]
    facility_ids: list[strawberry.ID] = strawberry.field(
        description="Facilities visible through memberships (all facilities when scope is all)."
    )
    scope_all: bool
