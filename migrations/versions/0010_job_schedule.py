"""Scheduled jobs: each tick of each periodic job is claimed once, by one worker.

- `job_ticks`: (job, tick) is the primary key, so of all the workers whose clocks reach a
  tick, the one whose insert lands runs it and the others skip it. Rows name jobs and
  times only (no tenant data), and older ticks are deleted as new ones are claimed.
- `app_tenant_ids()`: the active tenants, for a periodic job that visits each in turn
  (in a transaction scoped to it). It runs as the owner (SECURITY DEFINER), through the
  policy of 0005, and returns IDs and nothing else.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from alembic import op

from migrations.rls import api_role

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SCHEMA = """
CREATE TABLE job_ticks (
  job text NOT NULL,
  tick bigint NOT NULL,
  claimed_by text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job, tick)
);

CREATE FUNCTION app_tenant_ids() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id FROM tenants WHERE is_active ORDER BY id
$$
"""


def upgrade() -> None:
    for statement in SCHEMA.split(";\n\n"):
        if statement.strip():
            op.execute(statement)
    role = api_role()
    op.execute(f"GRANT SELECT, INSERT, DELETE ON job_ticks TO {role}")
    op.execute("REVOKE EXECUTE ON FUNCTION app_tenant_ids() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION app_tenant_ids() TO {role}")


def downgrade() -> None:
    op.execute("DROP FUNCTION app_tenant_ids()")
    op.execute("DROP TABLE job_ticks")
