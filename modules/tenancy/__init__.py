"""Tenancy: tenants, organizations, facilities, people, roles, patients and audit.

This is the module's public surface; other modules import only from here.
"""

from __future__ import annotations

from modules.tenancy.audit import Actor, insert_row, lock_row, update_row, write_audit
from modules.tenancy.phi_log import flush_phi_access
from modules.tenancy.provisioning import (
    create_owner,
    provision_tenant,
    set_tenant_active,
    sync_permission_catalog,
)
from modules.tenancy.services.auth import load_principal


def schema_parts() -> tuple[list[type], list[type]]:
    """The Query and Mutation classes this module adds to the root schema."""
    from modules.tenancy.auth_mutations import AuthMutation
    from modules.tenancy.mutations import TenancyMutation
    from modules.tenancy.people_mutations import PeopleMutation
    from modules.tenancy.provider_mutations import ProviderMutation
    from modules.tenancy.schema import TenancyQuery

    return [TenancyQuery], [AuthMutation, TenancyMutation, PeopleMutation, ProviderMutation]


def register_nodes() -> None:
    from modules.tenancy import models as m
    from modules.tenancy.people import AuditEntry, Membership, Patient, PhiAccessEntry, Role, Tenant, User
    from modules.tenancy.types import Address, Facility, Organization, Provider, ProviderAssignment
    from schema.node import register_node

    register_node("Organization", m.organizations, Organization.from_row, "tenancy.read")
    register_node("Facility", m.facilities, Facility.from_row, "tenancy.read")
    register_node("Address", m.addresses, Address.from_row, "tenancy.read")
    register_node("Provider", m.providers, Provider.from_row, "tenancy.read")
    register_node("ProviderAssignment", m.provider_assignments, ProviderAssignment.from_row, "tenancy.read")
    register_node("User", m.users, User.from_row, "users.read")
    register_node("Role", m.roles, Role.from_row, "users.read")
    register_node("Membership", m.memberships, Membership.from_row, "users.read")
    register_node("Patient", m.patients, Patient.from_row, "patients.read")
    register_node("AuditEntry", m.audit_log, AuditEntry.from_row, "audit.read")
    register_node("PhiAccessEntry", m.phi_access_log, PhiAccessEntry.from_row, "audit.read")
    register_node("Tenant", m.tenants, Tenant.from_row, "tenancy.read")


__all__ = [
    "Actor",
    "create_owner",
    "set_tenant_active",
    "flush_phi_access",
    "insert_row",
    "load_principal",
    "lock_row",
    "provision_tenant",
    "register_nodes",
    "schema_parts",
    "sync_permission_catalog",
    "update_row",
    "write_audit",
]
