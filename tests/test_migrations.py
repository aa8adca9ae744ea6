"""Migrations: an empty database upgrades to head, downgrades to base and upgrades again."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from app import migrate
from medgraph.installed import migration_locations
from tests.conftest import _fresh_database

LOCATIONS = migration_locations()  # the kernel's revisions and every installed module's


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            return {r[0] for r in rows}
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade():
    url = await _fresh_database("medgraph_migration_roundtrip")
    await migrate.upgrade(url, locations=LOCATIONS)
    at_head = await _tables(url)
    assert {
        "tenants",
        "organizations",
        "patients",
        "audit_log",
        "products",
        "stock_movements",
        "orders",
        "order_checks",
    } <= at_head
    await migrate.downgrade(url, "base", locations=LOCATIONS)
    assert await _tables(url) == {"alembic_version"}
    await migrate.upgrade(url, locations=LOCATIONS)
    assert await _tables(url) == at_head
    engine = create_async_engine(url)
    try:
        assert await migrate.current_revision(engine) == migrate.head_revision(LOCATIONS)
    finally:
        await engine.dispose()


def test_one_linear_history():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config("", LOCATIONS))
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        assert not revision.is_merge_point
