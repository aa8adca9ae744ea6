"""A request that fails part-way returns its database connection: nothing is left
"idle in transaction" behind it."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from app.settings import get_settings


async def _idle_in_transaction(owner_engine) -> int:  # type: ignore[no-untyped-def]
    async with owner_engine.connect() as conn:
        return await conn.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND usename = :role AND state LIKE 'idle in transaction%'"
            ),
            {"role": get_settings().api_db_role},
        )


async def test_nodes_with_one_bad_id_start_no_lookups(tenant_a, owner_engine):
    found = await tenant_a.query(
        "{ patients(first: 1) { nodes { id } } organizations(first: 1) { nodes { id } } }"
    )
    ids = [found["patients"]["nodes"][0]["id"], found["organizations"]["nodes"][0]["id"], "garbage"]
    for _ in range(5):
        result = await tenant_a.raw("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
        assert result["errors"][0]["extensions"]["code"] == "INVALID_ID"
    await asyncio.sleep(0.3)
    assert await _idle_in_transaction(owner_engine) == 0
