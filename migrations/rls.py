"""Row-level security for a tenant table, declared in one call from a migration.

    tenant_table("orders")                        # policies, FORCE, read/write grants
    tenant_table("audit_log", append_only=True)   # SELECT and INSERT only
    tenant_table("patients", scope="facility_id = ANY(app_facility_ids())")

Every tenant table gets row-level security keyed on the transaction-local setting
`app.tenant_id` (USING and WITH CHECK), FORCEd so that even the table's owner obeys
it. `scope` adds a RESTRICTIVE policy narrowing rows to the caller's memberships
unless the request runs with `app.scope = 'all'`.

Revisions already applied call this too: change it only by adding options whose
defaults keep what it emits today, or a fresh database would differ from a migrated one.

Scope rules are written with their settings as sub-selects (`SCOPE_ALL`, `FACILITIES`):
PostgreSQL evaluates each once per statement (an InitPlan) instead of once per row, and
plans without guessing. Written bare, `app_scope_all()` is inlined as `coalesce(...) =
'all'`, which the planner takes to match 0.5% of rows: a list of 5,000 orders was then
sorted in full (9 ms) instead of read backwards along its index (0.2 ms).
"""

from __future__ import annotations

from alembic import op

from app.settings import get_settings

SCOPE_ALL = "(SELECT app_scope_all())"
FACILITIES = "(SELECT app_facility_ids())::uuid[]"
ORGANIZATIONS = "(SELECT app_org_ids())::uuid[]"


def scope_policy(table: str, scope: str) -> str:
    """The RESTRICTIVE policy narrowing `table` to the caller's memberships."""
    return f"CREATE POLICY membership_scope ON {table} AS RESTRICTIVE USING ({SCOPE_ALL} OR {scope})"


def api_role() -> str:
    return get_settings().api_db_role


def tenant_table(
    table: str,
    *,
    append_only: bool = False,
    scope: str | None = None,
    key: str = "tenant_id",
    privileges: str | None = None,
    planned: bool = False,
) -> None:
    """`key` is the column holding the tenant's id; `privileges` overrides the API role's;
    `planned` writes the scope rule with `scope_policy` (new tables do)."""
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING ({key} = app_tenant_id()) WITH CHECK ({key} = app_tenant_id())"
    )
    if scope is not None and planned:
        op.execute(scope_policy(table, scope))
    elif scope is not None:
        op.execute(
            f"CREATE POLICY membership_scope ON {table} AS RESTRICTIVE USING (app_scope_all() OR {scope})"
        )
    privileges = privileges or ("SELECT, INSERT" if append_only else "SELECT, INSERT, UPDATE, DELETE")
    op.execute(f"GRANT {privileges} ON {table} TO {api_role()}")
