"""Tenancy queries: connections declared over the listings, and `me` and `permissions`."""

from __future__ import annotations

import sqlalchemy as sa
import strawberry
from strawberry.types import Info

from modules.tenancy import models as m
from modules.tenancy.types.facility import Facility
from modules.tenancy.types.listings import (
    AUDIT,
    FACILITIES,
    ORGANIZATIONS,
    PATIENTS,
    PHI_ACCESS,
    PROVIDERS,
    ROLES,
    USERS,
)
from modules.tenancy.types.organization import Organization
from modules.tenancy.types.patient import Patient
from modules.tenancy.types.provider import Provider
from modules.tenancy.types.trail import AuditEntry, PhiAccessEntry
from modules.tenancy.types.user import Me, Permission, Role, Tenant, User
from schema.compiler.sql import global_id, literal
from schema.entities import from_caller
from schema.listing import connection
from schema.lists import fetch_rows, load_row
from schema.permissions import authenticated, requires
from schema.relay import Connection, to_global_id


async def _me(info: Info) -> Me:
    principal = await info.context.principal()
    user = await load_row(info.context, m.users, principal.user_id)
    tenant = (await fetch_rows(info.context, sa.select(m.tenants)))[0]
    return Me(
        user=User.from_row(user),
        tenant=Tenant.from_row(tenant),
        roles=list(principal.roles),
        permissions=sorted(principal.permissions),
        facility_ids=[to_global_id("Facility", f) for f in principal.facility_ids],
        scope_all=principal.scope_all,
    )


# Compiled reads answer `me` from the principal lookup's row `p` (app_principal, migration
# 0006) in the statement that fuses it with the read; $1 is the tenant, $2 the user.
from_caller(
    _me,
    values={
        "roles": "p.roles",
        "permissions": 'ARRAY(SELECT k FROM unnest(p.permissions) AS k ORDER BY k COLLATE "C")',
        "facility_ids": (
            f"(SELECT coalesce(json_agg({global_id(literal('Facility'), 'u.f')} ORDER BY u.o), '[]'::json) "
            "FROM unnest(p.facility_ids) WITH ORDINALITY AS u(f, o))"
        ),
        "scope_all": "('tenancy.scope_all' = ANY(p.permissions))",
    },
    objects={"user": "$2::uuid", "tenant": "$1::uuid"},
)


async def _permissions(info: Info) -> list[Permission]:
    rows = await fetch_rows(info.context, sa.select(m.permissions).order_by(m.permissions.c.key))
    return [Permission(key=r.key, module=r.module, description=r.description) for r in rows]


@strawberry.type
class TenancyQuery:
    me: Me = strawberry.field(resolver=_me, extensions=authenticated(), description="The signed-in user.")
    organizations: Connection[Organization] = connection(ORGANIZATIONS, requires="tenancy.read")
    facilities: Connection[Facility] = connection(
        FACILITIES, requires="tenancy.read", by={"organization_id": "Organization"}
    )
    providers: Connection[Provider] = connection(PROVIDERS, requires="tenancy.read")
    users: Connection[User] = connection(USERS, requires="users.read")
    roles: Connection[Role] = connection(
        ROLES, requires="users.read", backward=False, description="The tenant's roles."
    )

    permissions: list[Permission] = strawberry.field(
        resolver=_permissions, extensions=requires("users.read"), description="Every permission key."
    )
    patients: Connection[Patient] = connection(PATIENTS, requires="patients.read")
    audit_log: Connection[AuditEntry] = connection(AUDIT, requires="audit.read")
    phi_access_log: Connection[PhiAccessEntry] = connection(
        PHI_ACCESS,
        requires="audit.read",
        backward=False,
        by={"patient_id": "Patient"},
        description="Who read which patient's PHI.",
    )
