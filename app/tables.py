"""Tables of the kernel, and the column helpers every module's `models.py` uses.

The kernel owns what every module writes: the audit log (one row per change,
before/after), the PHI access log (one row per patient read per request), the outbox
of domain events with its per-tenant counters, and the sign-in throttle. Modules own
everything else, each in its own `MetaData`; the Alembic environment compares all of
them with the migrated database.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB, UUID

metadata = sa.MetaData()


def id_column() -> sa.Column:
    return sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=sa.text("gen_random_uuid()"))


def tenant_column() -> sa.Column:
    return sa.Column("tenant_id", UUID(as_uuid=True), nullable=False)


def created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def timestamps() -> list[sa.Column]:
    return [
        created_at(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    ]


def deactivated_at() -> sa.Column:
    return sa.Column("deactivated_at", sa.DateTime(timezone=True))


def internal(column: sa.Column) -> sa.Column:
    """Mark a column the database keeps for its own use (a search document, say): the row
    readers and writers (`readable`) leave it out, so it is neither sent to the API on
    every read nor copied into audit rows."""
    column.info["internal"] = True
    return column


def readable(table: sa.Table) -> list[sa.Column]:
    """The columns of `table` the API reads: all but those marked `internal`."""
    found = _readable.get(table)
    if found is None:
        found = _readable[table] = [c for c in table.c if not c.info.get("internal")]
    return found


_readable: dict[sa.Table, list[sa.Column]] = {}


audit_log = sa.Table(
    "audit_log",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("actor_user_id", UUID(as_uuid=True)),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("entity_type", sa.Text, nullable=False),
    sa.Column("entity_id", UUID(as_uuid=True)),
    sa.Column("changes", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("request_id", sa.Text),
    sa.Column("ip_address", INET),
    sa.Column("user_agent", sa.Text),
    created_at(),
    sa.Index("audit_log_entity", "tenant_id", "entity_type", "entity_id"),
    sa.Index("audit_log_created", "tenant_id", "created_at"),
)

phi_access_log = sa.Table(
    "phi_access_log",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("patient_id", UUID(as_uuid=True), nullable=False),
    sa.Column("fields", ARRAY(sa.Text), nullable=False),
    sa.Column("action", sa.Text, nullable=False, server_default=sa.text("'view'::text")),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("operation_name", sa.Text),
    sa.Column("operation_hash", sa.Text, nullable=False),
    sa.Column("request_id", sa.Text),
    sa.Column("ip_address", INET),
    sa.Column("accessed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("phi_access_log_patient", "tenant_id", "patient_id", "accessed_at"),
)

signin_throttle = sa.Table(
    "signin_throttle",
    metadata,
    sa.Column("key", sa.LargeBinary, primary_key=True),
    sa.Column("tat", sa.DateTime(timezone=True), nullable=False),
    sa.Index("signin_throttle_tat", "tat"),
)

domain_events = sa.Table(
    "domain_events",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("sequence", sa.BigInteger),  # given at commit (migration 0004)
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("entity_type", sa.Text, nullable=False),
    sa.Column("entity_id", UUID(as_uuid=True)),
    sa.Column("actor_user_id", UUID(as_uuid=True)),
    sa.Column("payload", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("request_id", sa.Text),
    created_at(),
    sa.UniqueConstraint("tenant_id", "sequence"),
)

event_counters = sa.Table(
    "event_counters",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("last_sequence", sa.BigInteger, nullable=False),
)

# Background jobs (migration 0009, app/relay.py, app/job_runs.py)

job_relay = sa.Table(
    "job_relay",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("last_sequence", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

job_deliveries = sa.Table(
    "job_deliveries",
    metadata,
    sa.Column("message_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("attempt", sa.Integer, primary_key=True),
    tenant_column(),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("deliveries", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column("first_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("last_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("done_at", sa.DateTime(timezone=True)),
)

failed_jobs = sa.Table(
    "failed_jobs",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("message_id", UUID(as_uuid=True), nullable=False),
    sa.Column("queue", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("args", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("deliveries", sa.Integer, nullable=False),
    sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("retried_at", sa.DateTime(timezone=True)),
    sa.Column("retried_by", UUID(as_uuid=True)),
    sa.Column("retry_message_id", UUID(as_uuid=True)),
    sa.UniqueConstraint("tenant_id", "message_id"),
    sa.CheckConstraint("reason IN ('retries_exhausted', 'worker_died')", name="failed_jobs_reason_check"),
    sa.Index("failed_jobs_open", "tenant_id", sa.text("failed_at DESC"), sa.text("id DESC")),
)

job_ticks = sa.Table(
    "job_ticks",
    metadata,
    sa.Column("job", sa.Text, primary_key=True),
    sa.Column("tick", sa.BigInteger, primary_key=True),
    sa.Column("claimed_by", sa.Text, nullable=False),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
