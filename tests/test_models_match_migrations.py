"""The SQLAlchemy tables the code reads and writes are exactly the migrated database:
tables, columns, types, nullability, server defaults, indexes and unique constraints.

Alembic's autogenerate comparison does the work; foreign keys are left out (modules keep
separate `MetaData`, and cross-module keys are declared in migrations only)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from app.tables import metadata as kernel_metadata
from medgraph.installed import INSTALLED_MODULES

IGNORED = {"add_fk", "remove_fk"}


def _kind(diff: Any) -> str:
    # A change of one column comes as a list of tuples; the rest as one tuple.
    return diff[0][0] if isinstance(diff, list) else diff[0]


def differences(sync_conn: Any) -> list[Any]:
    metadata = [kernel_metadata, *(module.metadata for module in INSTALLED_MODULES)]
    context = MigrationContext.configure(
        sync_conn, opts={"compare_type": True, "compare_server_default": True, "target_metadata": metadata}
    )
    return [d for d in compare_metadata(context, metadata) if _kind(d) not in IGNORED]


async def test_metadata_matches_the_migrated_database(owner_url):
    engine = create_async_engine(owner_url)
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(differences)
    finally:
        await engine.dispose()
    assert found == []


def test_every_table_has_one_owner():
    tables = [t for m in [kernel_metadata, *(x.metadata for x in INSTALLED_MODULES)] for t in m.tables]
    assert len(tables) == len(set(tables))
