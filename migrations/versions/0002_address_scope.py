"""Addresses follow their owner's visibility: a user narrowed by memberships sees the
addresses of the organizations, facilities and providers they see, and no others.

The policy asks whether the owner row is visible, through the owner table's own
row-level policies, so the rule for "visible" stays in one place per table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OWNER_VISIBLE = """CASE addresses.owner_type
  WHEN 'organization' THEN EXISTS (SELECT 1 FROM organizations o WHERE o.id = addresses.owner_id)
  WHEN 'facility' THEN EXISTS (SELECT 1 FROM facilities f WHERE f.id = addresses.owner_id)
  WHEN 'provider' THEN EXISTS (SELECT 1 FROM providers p WHERE p.id = addresses.owner_id)
  ELSE false
END"""


def upgrade() -> None:
    op.execute(
        "CREATE POLICY membership_scope ON addresses AS RESTRICTIVE"
        f" USING (app_scope_all() OR {OWNER_VISIBLE})"
    )


def downgrade() -> None:
    op.execute("DROP POLICY membership_scope ON addresses")
