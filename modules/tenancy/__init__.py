"""Tenancy: tenants, organizations, facilities, people, roles, patients and the trails.

The manifest (`MODULE`) and the module's public surface: other modules import only
from here (the lazy type references their fields point at, and the tables their
services check a reference against, read under the caller's row-level security).
"""

from __future__ import annotations

from modules.tenancy.events import EVENTS
from modules.tenancy.models import (
    facilities,
    metadata,
    organizations,
    patients,
    provider_assignments,
    providers,
    users,
)
from modules.tenancy.phi import open_phi
from modules.tenancy.service.auth import PRINCIPAL, load_principal
from modules.tenancy.service.provisioning import (
    create_owner,
    provision_tenant,
    set_tenant_active,
    sync_permission_catalog,
)
from modules.tenancy.types.refs import FacilityRef, OrganizationRef, PatientRef, ProviderRef, UserRef
from schema.module import Module, SchemaParts

PERMISSIONS = {
    "tenant.manage": "Change the tenant's name, settings and enabled features",
    "tenancy.read": "Read organizations, facilities, addresses and providers",
    "tenancy.manage": "Create, update and deactivate organizations, facilities, addresses and providers",
    "tenancy.scope_all": "See every facility of the tenant, not only those of one's memberships",
    "users.read": "Read users, roles and memberships",
    "users.manage": "Create, update and deactivate users; grant roles and memberships",
    "patients.read": "Read patients' non-PHI fields (status, facility)",
    "patients.read_phi": "Read patients' demographics (PHI); every read is logged",
    "patients.manage": "Register, update and deactivate patients",
    "audit.read": "Read the audit log and the PHI access log",
}

# Owner and admin hold every key of every module (see schema/module.py).
GRANTS = {
    "manager": {
        "tenancy.read",
        "tenancy.manage",
        "tenancy.scope_all",
        "users.read",
        "patients.read",
        "patients.read_phi",
        "patients.manage",
        "audit.read",
    },
    "provider": {"tenancy.read", "patients.read", "patients.read_phi", "patients.manage"},
    "sales_rep": {"tenancy.read", "tenancy.scope_all"},
    "facility_manager": {
        "tenancy.read",
        "users.read",
        "patients.read",
        "patients.read_phi",
        "patients.manage",
    },
    "viewer": {"tenancy.read", "tenancy.scope_all", "patients.read"},
}


def _schema() -> SchemaParts:
    from modules.tenancy.schema.auth import AuthMutation
    from modules.tenancy.schema.organizations import TenancyMutation
    from modules.tenancy.schema.people import PeopleMutation
    from modules.tenancy.schema.providers import ProviderMutation
    from modules.tenancy.schema.query import TenancyQuery
    from modules.tenancy.types.address import Address
    from modules.tenancy.types.facility import Facility
    from modules.tenancy.types.organization import Organization
    from modules.tenancy.types.patient import Patient
    from modules.tenancy.types.provider import Provider, ProviderAssignment
    from modules.tenancy.types.trail import AuditEntry, PhiAccessEntry
    from modules.tenancy.types.user import Membership, Role, Tenant, User

    return SchemaParts(
        queries=[TenancyQuery],
        mutations=[AuthMutation, TenancyMutation, PeopleMutation, ProviderMutation],
        nodes=[
            Organization,
            Facility,
            Address,
            Provider,
            ProviderAssignment,
            User,
            Role,
            Membership,
            Patient,
            AuditEntry,
            PhiAccessEntry,
            Tenant,
        ],
    )


MODULE = Module(
    name="tenancy",
    metadata=metadata,
    permissions=PERMISSIONS,
    grants=GRANTS,
    events=EVENTS,
    schema=_schema,
)

__all__ = [
    "MODULE",
    "create_owner",
    "FacilityRef",
    "OrganizationRef",
    "PatientRef",
    "ProviderRef",
    "UserRef",
    "facilities",
    "organizations",
    "patients",
    "provider_assignments",
    "providers",
    "users",
    "PRINCIPAL",
    "load_principal",
    "open_phi",
    "provision_tenant",
    "set_tenant_active",
    "sync_permission_catalog",
]
