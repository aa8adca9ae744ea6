"""Background jobs: the PostgreSQL broker's queue, the outbox relay's progress, how often
each message was delivered, and the jobs parked as failed.

- `dramatiq.*`: dramatiq-postgres's own tables (queue, worker heartbeats, results), in a
  schema of their own, as its `generate_init_sql` writes them. Used when
  `MEDGRAPH_BROKER_URL` names no other broker; the API role sends and consumes.
- `job_relay`: per tenant, the last domain event (sequence) whose jobs have been sent to
  the broker (`app/relay.py`). The relay sends, then moves this on in one transaction:
  a crash between the two sends those jobs again, never loses them.
- `job_deliveries`: per message and attempt, how many times a worker took it, and when
  its work committed (`done_at`, in the work's own transaction). Dramatiq does not count
  a delivery whose worker died as a retry; this does, and bounds it. A message delivered
  again once done is not run again.
- `failed_jobs` (seed 000's): a job that failed every retry, or whose worker kept dying,
  with its actor, its arguments (IDs only), the error's kind and where it was raised, and
  no message text (it may hold PHI). An admin lists them and retries them.

`app_relay_pending()` names the tenants whose events are not all relayed. It reads every
tenant's counter, so it runs as the owner (SECURITY DEFINER), through policies that let
that one role, and no other, past the tenant rule on these two tables (as 0005 does for
`tenants`); it returns tenant IDs and nothing else.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from alembic import op
from dramatiq_postgres.schema import generate_init_sql

from migrations.rls import api_role, tenant_table

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SCHEMA = """
CREATE TABLE job_relay (
  tenant_id uuid PRIMARY KEY REFERENCES tenants(id),
  last_sequence bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE job_deliveries (
  message_id uuid NOT NULL,
  attempt integer NOT NULL,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  actor text NOT NULL,
  deliveries integer NOT NULL DEFAULT 1,
  first_at timestamptz NOT NULL DEFAULT now(),
  last_at timestamptz NOT NULL DEFAULT now(),
  done_at timestamptz,
  PRIMARY KEY (message_id, attempt)
);

CREATE TABLE failed_jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  message_id uuid NOT NULL,
  queue text NOT NULL,
  actor text NOT NULL,
  args jsonb NOT NULL DEFAULT '[]',
  reason text NOT NULL CHECK (reason IN ('retries_exhausted', 'worker_died')),
  error text NOT NULL,
  attempts integer NOT NULL,
  deliveries integer NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now(),
  retried_at timestamptz,
  retried_by uuid,
  retry_message_id uuid,
  UNIQUE (tenant_id, message_id)
);

CREATE INDEX failed_jobs_open ON failed_jobs (tenant_id, failed_at DESC, id DESC);

CREATE POLICY operator_all ON event_counters TO CURRENT_USER USING (true);

CREATE POLICY operator_all ON job_relay TO CURRENT_USER USING (true);

CREATE FUNCTION app_relay_pending() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT c.tenant_id FROM event_counters c
  LEFT JOIN job_relay r ON r.tenant_id = c.tenant_id
  WHERE c.last_sequence > coalesce(r.last_sequence, 0)
$$
"""


def upgrade() -> None:
    # One statement per call (asyncpg); the broker's SQL holds no function bodies.
    for statement in generate_init_sql("dramatiq", "").split(";"):
        if statement.strip():
            op.execute(statement)
    role = api_role()
    op.execute(f"GRANT USAGE ON SCHEMA dramatiq TO {role}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA dramatiq TO {role}")
    op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA dramatiq TO {role}")
    # asyncpg runs one statement per call; the function body holds no ";\n\n".
    for statement in SCHEMA.split(";\n\n"):
        if statement.strip():
            op.execute(statement)
    tenant_table("job_relay", privileges="SELECT, INSERT, UPDATE")
    tenant_table("job_deliveries", privileges="SELECT, INSERT, UPDATE")
    tenant_table("failed_jobs", privileges="SELECT, INSERT, UPDATE")
    op.execute("REVOKE EXECUTE ON FUNCTION app_relay_pending() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION app_relay_pending() TO {role}")


def downgrade() -> None:
    op.execute("DROP FUNCTION app_relay_pending()")
    op.execute("DROP POLICY operator_all ON job_relay")
    op.execute("DROP POLICY operator_all ON event_counters")
    op.execute("DROP TABLE failed_jobs, job_deliveries, job_relay")
    op.execute("DROP SCHEMA dramatiq CASCADE")
