"""The permission keys this module defines and the baseline roles that bundle them.

Later modules add their own keys to `PERMISSIONS` through their `__init__`, and
`sync_permission_catalog` (run by `medgraph migrate`) writes them to the table.
"""

from __future__ import annotations

PERMISSIONS: dict[str, str] = {
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

_ALL = set(PERMISSIONS)

BASELINE_ROLES: dict[str, tuple[str, set[str]]] = {
    "owner": ("Owner", _ALL),
    "admin": ("Administrator", _ALL - {"tenant.manage"}),
    "manager": (
        "Manager",
        {
            "tenancy.read",
            "tenancy.manage",
            "tenancy.scope_all",
            "users.read",
            "patients.read",
            "patients.read_phi",
            "patients.manage",
            "audit.read",
        },
    ),
    "provider": (
        "Provider",
        {"tenancy.read", "patients.read", "patients.read_phi", "patients.manage"},
    ),
    "sales_rep": ("Sales representative", {"tenancy.read", "tenancy.scope_all"}),
    "facility_manager": (
        "Facility manager",
        {"tenancy.read", "users.read", "patients.read", "patients.read_phi", "patients.manage"},
    ),
    "viewer": ("Viewer", {"tenancy.read", "tenancy.scope_all", "patients.read"}),
}
