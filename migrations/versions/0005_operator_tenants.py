"""The role that runs migrations may read and create every tenant.

Tenants are provisioned and the permission catalog is synced by operators, as the
database owner, before any tenant is in scope. Row-level security is FORCEd on
`tenants`, so an owner that is not a superuser (a managed PostgreSQL) would see no
tenant at all: the catalog sync would silently reach no one and provisioning would
fail. This policy lets that one role, and no other, past the tenant rule on this one
table; the API role still sees only the tenant its request is scoped to.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE POLICY operator_all ON tenants TO CURRENT_USER USING (true) WITH CHECK (true)")


def downgrade() -> None:
    op.execute("DROP POLICY operator_all ON tenants")
