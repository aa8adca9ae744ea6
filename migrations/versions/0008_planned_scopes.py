"""The membership scopes of the tenancy tables, planned: their settings read once per
statement as sub-selects (see migrations/rls.py), the rule itself unchanged.

Revision ID: 0008
Revises: orders_0001
Create Date: 2026-12-03
"""

from alembic import op

from migrations.rls import FACILITIES, ORGANIZATIONS, scope_policy

revision = "0008"
down_revision = "orders_0001"
branch_labels = None
depends_on = None

SCOPES = {
    "organizations": f"id = ANY({ORGANIZATIONS})",
    "facilities": f"id = ANY({FACILITIES})",
    "patients": f"facility_id = ANY({FACILITIES})",
    "provider_assignments": f"facility_id = ANY({FACILITIES})",
    "providers": (
        "EXISTS (SELECT 1 FROM provider_assignments a WHERE a.tenant_id = providers.tenant_id "
        f"AND a.provider_id = providers.id AND a.facility_id = ANY({FACILITIES}))"
    ),
    "addresses": """CASE addresses.owner_type
  WHEN 'organization' THEN EXISTS (SELECT 1 FROM organizations o WHERE o.id = addresses.owner_id)
  WHEN 'facility' THEN EXISTS (SELECT 1 FROM facilities f WHERE f.id = addresses.owner_id)
  WHEN 'provider' THEN EXISTS (SELECT 1 FROM providers p WHERE p.id = addresses.owner_id)
  ELSE false
END""",
}
# As 0001 and 0002 wrote them, for the way back.
BARE = {
    "organizations": "id = ANY(app_org_ids())",
    "facilities": "id = ANY(app_facility_ids())",
    "patients": "facility_id = ANY(app_facility_ids())",
    "provider_assignments": "facility_id = ANY(app_facility_ids())",
    "providers": (
        "EXISTS (SELECT 1 FROM provider_assignments a WHERE a.tenant_id = providers.tenant_id "
        "AND a.provider_id = providers.id AND a.facility_id = ANY(app_facility_ids()))"
    ),
    "addresses": SCOPES["addresses"],
}


def upgrade() -> None:
    for table, scope in SCOPES.items():
        op.execute(f"DROP POLICY membership_scope ON {table}")
        op.execute(scope_policy(table, scope))


def downgrade() -> None:
    for table, scope in BARE.items():
        op.execute(f"DROP POLICY membership_scope ON {table}")
        op.execute(
            f"CREATE POLICY membership_scope ON {table} AS RESTRICTIVE USING (app_scope_all() OR {scope})"
        )
