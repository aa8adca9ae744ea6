"""Tenancy queries: thin resolvers that check permission and read through loaders."""

from __future__ import annotations

import sqlalchemy as sa
import strawberry
from strawberry.types import Info

from modules.tenancy import loaders as ld
from modules.tenancy import models as m
from modules.tenancy.filters import (
    AuditLogFilter,
    FacilityFilter,
    NamedOrder,
    OrganizationFilter,
    PatientFilter,
    ProviderFilter,
    TimeOrder,
    UserFilter,
    audit_where,
    facility_where,
    order_of,
    organization_where,
    patient_where,
    provider_where,
    user_where,
)
from modules.tenancy.people import (
    AuditEntry,
    Me,
    Patient,
    Permission,
    PhiAccessEntry,
    Role,
    Tenant,
    User,
    phi_search_log,
)
from modules.tenancy.types import Facility, Organization, Provider
from schema.lists import fetch_rows, list_connection
from schema.pagination import page_args
from schema.permissions import authenticated, requires
from schema.relay import Connection, decode_id, to_global_id


@strawberry.type
class TenancyQuery:
    @strawberry.field(extensions=authenticated(), description="The signed-in user.")
    async def me(self, info: Info) -> Me:
        principal = await info.context.principal()
        user = await ld.load_row(info.context, m.users, principal.user_id)
        tenant = (await fetch_rows(info.context, sa.select(m.tenants)))[0]
        return Me(
            user=User.from_row(user),
            tenant=Tenant.from_row(tenant),
            roles=list(principal.roles),
            permissions=sorted(principal.permissions),
            facility_ids=[to_global_id("Facility", f) for f in principal.facility_ids],
            scope_all=principal.scope_all,
        )

    @strawberry.field(extensions=requires("tenancy.read"))
    async def organizations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: OrganizationFilter | None = None,
        order_by: NamedOrder | None = None,
    ) -> Connection[Organization]:
        return await list_connection(
            info.context,
            ld.ORGANIZATIONS,
            Organization.from_row,
            organization_where(filter),
            *order_of(order_by, NamedOrder()),
            page_args(first, after, last, before),
        )

    @strawberry.field(extensions=requires("tenancy.read"))
    async def facilities(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        organization_id: strawberry.ID | None = None,
        filter: FacilityFilter | None = None,
        order_by: NamedOrder | None = None,
    ) -> Connection[Facility]:
        where = facility_where(filter)
        if organization_id is not None:
            org = decode_id(organization_id, "Organization")
            where.append(m.facilities.c.organization_id == org if org else sa.false())
        return await list_connection(
            info.context,
            ld.FACILITIES,
            Facility.from_row,
            where,
            *order_of(order_by, NamedOrder()),
            page_args(first, after, last, before),
        )

    @strawberry.field(extensions=requires("tenancy.read"))
    async def providers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: ProviderFilter | None = None,
        order_by: NamedOrder | None = None,
    ) -> Connection[Provider]:
        return await list_connection(
            info.context,
            ld.PROVIDERS,
            Provider.from_row,
            provider_where(filter),
            *order_of(order_by, NamedOrder()),
            page_args(first, after, last, before),
        )

    @strawberry.field(extensions=requires("users.read"))
    async def users(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: UserFilter | None = None,
        order_by: NamedOrder | None = None,
    ) -> Connection[User]:
        return await list_connection(
            info.context,
            ld.USERS,
            User.from_row,
            user_where(filter),
            *order_of(order_by, NamedOrder()),
            page_args(first, after, last, before),
        )

    @strawberry.field(extensions=requires("users.read"), description="The tenant's roles.")
    async def roles(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Role]:
        return await list_connection(
            info.context,
            ld.ROLES,
            Role.from_row,
            [],
            "name",
            False,
            page_args(first, after, None, None),
        )

    @strawberry.field(extensions=requires("users.read"), description="Every permission key.")
    async def permissions(self, info: Info) -> list[Permission]:
        rows = await fetch_rows(info.context, sa.select(m.permissions).order_by(m.permissions.c.key))
        return [Permission(key=r.key, module=r.module, description=r.description) for r in rows]

    @strawberry.field(extensions=requires("patients.read"))
    async def patients(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: PatientFilter | None = None,
        order_by: TimeOrder | None = None,
    ) -> Connection[Patient]:
        return await list_connection(
            info.context,
            ld.PATIENTS,
            Patient.from_row,
            patient_where(info.context, filter),
            *order_of(order_by, TimeOrder()),
            page_args(first, after, last, before),
            record_matches=phi_search_log(info.context, filter),
        )

    @strawberry.field(extensions=requires("audit.read"))
    async def audit_log(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: AuditLogFilter | None = None,
        order_by: TimeOrder | None = None,
    ) -> Connection[AuditEntry]:
        return await list_connection(
            info.context,
            ld.AUDIT,
            AuditEntry.from_row,
            audit_where(filter),
            *order_of(order_by, TimeOrder()),
            page_args(first, after, last, before),
        )

    @strawberry.field(extensions=requires("audit.read"), description="Who read which patient's PHI.")
    async def phi_access_log(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        patient_id: strawberry.ID | None = None,
    ) -> Connection[PhiAccessEntry]:
        where = []
        if patient_id is not None:
            patient = decode_id(patient_id, "Patient")
            where.append(m.phi_access_log.c.patient_id == patient if patient else sa.false())
        return await list_connection(
            info.context,
            ld.PHI_ACCESS,
            PhiAccessEntry.from_row,
            where,
            "created_at",
            True,
            page_args(first, after, None, None),
        )
