"""Hardening: sign-in throttling every API process shares, and the one lookup a duplicate
MRN needs to be logged as a PHI access.

- `signin_throttle` holds, per hashed key (a client address, a tenant and email), the
  theoretical arrival time of the generic cell rate algorithm: one timestamp per key,
  no counters to reset. It is UNLOGGED (a crash forgets throttling, nothing else) and
  the API role reaches it only through `signin_throttle_take`, which charges every key
  of an attempt or none, and `signin_throttle_sweep`, which drops refilled keys.
- `patient_with_mrn_index` names the patient of the current tenant that holds an MRN,
  whatever the caller's memberships, so a duplicate answer can be logged as a read of
  that patient. It returns an id only, never PHI.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from alembic import op

from app.settings import get_settings

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = """
CREATE UNLOGGED TABLE signin_throttle (
  key bytea PRIMARY KEY,
  tat timestamptz NOT NULL
);

CREATE INDEX signin_throttle_tat ON signin_throttle (tat);

-- Seconds to wait before any of the keys may try again; 0 when the attempt is allowed,
-- in which case it is counted against every key. Denied attempts are not counted.
CREATE FUNCTION signin_throttle_take(p_keys bytea[], p_limits int[], p_window double precision)
RETURNS double precision LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  now_ts timestamptz := clock_timestamp();
  window_length interval := make_interval(secs => p_window);
  wait double precision := 0;
  entry record;
  held timestamptz;
BEGIN
  INSERT INTO signin_throttle (key, tat)
    SELECT k, now_ts FROM unnest(p_keys) AS k ORDER BY k
    ON CONFLICT (key) DO NOTHING;
  -- Rows are locked in key order, so two attempts sharing keys never deadlock.
  FOR entry IN SELECT u.k, u.l FROM unnest(p_keys, p_limits) AS u(k, l) ORDER BY u.k LOOP
    SELECT tat INTO held FROM signin_throttle WHERE key = entry.k FOR UPDATE;
    -- A row swept away since the insert above holds nothing: as if new.
    wait := greatest(wait, extract(epoch FROM
      greatest(coalesce(held, now_ts), now_ts) + window_length / entry.l - window_length - now_ts));
  END LOOP;
  IF wait > 0 THEN
    RETURN wait;
  END IF;
  INSERT INTO signin_throttle AS t (key, tat)
    SELECT u.k, now_ts + window_length / u.l FROM unnest(p_keys, p_limits) AS u(k, l) ORDER BY u.k
    ON CONFLICT (key) DO UPDATE SET tat = greatest(t.tat, now_ts) + (excluded.tat - now_ts);
  RETURN 0;
END $$;

-- Keys whose allowance has refilled carry nothing. Rows another attempt holds are left
-- alone (SKIP LOCKED, and checked again once locked), so sweeping never waits on one.
CREATE FUNCTION signin_throttle_sweep(p_limit int) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  swept int;
BEGIN
  DELETE FROM signin_throttle WHERE key IN (
    SELECT key FROM signin_throttle WHERE tat < clock_timestamp()
    LIMIT p_limit FOR UPDATE SKIP LOCKED) AND tat < clock_timestamp();
  GET DIAGNOSTICS swept = ROW_COUNT;
  RETURN swept;
END $$;

CREATE FUNCTION patient_with_mrn_index(p_index bytea) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp SET app.scope = 'all' AS
  $$ SELECT id FROM patients WHERE tenant_id = app_tenant_id() AND mrn_index = p_index $$;

-- A temporary table of the caller's must never stand in for a real one inside a function
-- that runs with the owner's rights: the schema that holds temporary tables comes last.
ALTER FUNCTION tenant_id_for_slug(text) SET search_path = public, pg_temp
"""

FUNCTIONS = (
    "signin_throttle_take(bytea[], int[], double precision)",
    "signin_throttle_sweep(int)",
    "patient_with_mrn_index(bytea)",
)


def upgrade() -> None:
    role = get_settings().api_db_role
    # asyncpg runs one statement per call; the function bodies hold no ";\n\n".
    for statement in SCHEMA.split(";\n\n"):
        if statement.strip():
            op.execute(statement)
    for function in FUNCTIONS:
        op.execute(f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {role}")


def downgrade() -> None:
    op.execute("ALTER FUNCTION tenant_id_for_slug(text) SET search_path = public")
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.execute("DROP TABLE IF EXISTS signin_throttle")
