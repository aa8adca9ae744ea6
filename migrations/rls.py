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
"""

from __future__ import annotations

from alembic import op

from app.settings import get_settings


def api_role() -> str:
    return get_settings().api_db_role


def tenant_table(
    table: str,
    *,
    append_only: bool = False,
    scope: str | None = None,
    key: str = "tenant_id",
    privileges: str | None = None,
) -> None:
    """`key` is the column holding the tenant's id; `privileges` overrides the API role's."""
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING ({key} = app_tenant_id()) WITH CHECK ({key} = app_tenant_id())"
    )
    if scope is not None:
        op.execute(
            f"CREATE POLICY membership_scope ON {table} AS RESTRICTIVE USING (app_scope_all() OR {scope})"
        )
    privileges = privileges or ("SELECT, INSERT" if append_only else "SELECT, INSERT, UPDATE, DELETE")
    op.execute(f"GRANT {privileges} ON {table} TO {api_role()}")
