"""The SQLAlchemy tables the code reads and writes are exactly the migrated database:
tables, columns, types, nullability, server defaults, indexes and unique constraints.

Alembic's autogenerate comparison does the work; foreign keys are left out (modules keep
separate `MetaData`, and cross-module keys are declared in migrations only)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from app.tables import metadata as kernel_metadata
from medgraph.installed import INSTALLED_MODULES

IGNORED = {"add_fk", "remove_fk"}


def _kind(diff: Any) -> str:
    # A change of one column comes as a list of tuples; the rest as one tuple.
    return diff[0][0] if isinstance(diff, list) else diff[0]


METADATA = [kernel_metadata, *(module.metadata for module in INSTALLED_MODULES)]

# Unique keys whose NULLs count as equal (UNIQUE NULLS NOT DISTINCT): Alembic does not compare it.
NULLS_NOT_DISTINCT = sa.text("""
SELECT c.relname, array_agg(a.attname ORDER BY k.ord)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
WHERE i.indisunique AND i.indnullsnotdistinct
GROUP BY i.indexrelid, c.relname
""")


def differences(sync_conn: Any) -> list[Any]:
    context = MigrationContext.configure(
        sync_conn, opts={"compare_type": True, "compare_server_default": True, "target_metadata": METADATA}
    )
    found = [d for d in compare_metadata(context, METADATA) if _kind(d) not in IGNORED]
    in_database = {(table, tuple(columns)) for table, columns in sync_conn.execute(NULLS_NOT_DISTINCT)}
    declared = {
        (table.name, tuple(c.name for c in constraint.columns))
        for metadata in METADATA
        for table in metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, sa.UniqueConstraint)
        and constraint.dialect_options["postgresql"]["nulls_not_distinct"]
    }
    if in_database != declared:
        found.append(("nulls_not_distinct", sorted(in_database ^ declared)))
    return found


async def test_metadata_matches_the_migrated_database(owner_url):
    engine = create_async_engine(owner_url)
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(differences)
    finally:
        await engine.dispose()
    assert found == []


def test_every_table_has_one_owner():
    tables = [t for m in METADATA for t in m.tables]
    assert len(tables) == len(set(tables))
