"""Domain events: the outbox every module writes its state changes to.

`emit()` (app/events.py) inserts an event in the transaction of the change, so a
rolled-back change leaves none. Its per-tenant `sequence` is given at commit, by a
deferred constraint trigger that takes the tenant's counter row: a second writer
waits for the first to commit before it numbers its own events, so sequences are
handed out in commit order. A reader that has seen sequence N and asks for what
follows N can never later find a smaller number appear: no gaps, even with
concurrent writers. The same trigger sends one NOTIFY per tenant and transaction
(PostgreSQL folds identical notifications), delivered only if the commit succeeds.

A transaction that emits for two tenants numbers them in the order it emitted; two such
transactions emitting in opposite orders can deadlock at commit (one is refused and may
be retried). Requests serve one tenant each; only operator tools touch several.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from alembic import op

from migrations.rls import tenant_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = """
CREATE TABLE domain_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  sequence bigint,
  type text NOT NULL CHECK (type ~ '^[a-z][a-z_]*\\.[a-z][a-z_]*$'),
  entity_type text NOT NULL,
  entity_id uuid,
  actor_user_id uuid,
  payload jsonb NOT NULL DEFAULT '{}',
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, sequence)
);

CREATE TABLE event_counters (
  tenant_id uuid PRIMARY KEY REFERENCES tenants(id),
  last_sequence bigint NOT NULL
);

CREATE FUNCTION number_domain_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  next_sequence bigint;
BEGIN
  -- The owner runs this under forced row-level security: scope to the event's tenant,
  -- whichever tenant the transaction touched last.
  PERFORM set_config('app.tenant_id', NEW.tenant_id::text, true);
  INSERT INTO event_counters AS c (tenant_id, last_sequence) VALUES (NEW.tenant_id, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET last_sequence = c.last_sequence + 1
    RETURNING last_sequence INTO next_sequence;
  UPDATE domain_events SET sequence = next_sequence WHERE id = NEW.id;
  PERFORM pg_notify('medgraph_events', NEW.tenant_id::text);
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER number_at_commit AFTER INSERT ON domain_events
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION number_domain_event()
"""


def upgrade() -> None:
    # asyncpg runs one statement per call; the function body holds no ";\n\n".
    for statement in SCHEMA.split(";\n\n"):
        if statement.strip():
            op.execute(statement)
    tenant_table("domain_events", append_only=True)
    tenant_table("event_counters", privileges="SELECT")
    op.execute("REVOKE EXECUTE ON FUNCTION number_domain_event() FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS domain_events")
    op.execute("DROP TABLE IF EXISTS event_counters")
    op.execute("DROP FUNCTION IF EXISTS number_domain_event()")
