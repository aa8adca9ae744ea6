"""A request that fails part-way returns its database connection: nothing is left
"idle in transaction" behind it."""

from __future__ import annotations

import asyncio

from tests.support import api_connections_idle_in_transaction


async def test_nodes_with_one_bad_id_start_no_lookups(tenant_a, owner_engine):
    found = await tenant_a.query(
        "{ patients(first: 1) { nodes { id } } organizations(first: 1) { nodes { id } } }"
    )
    ids = [found["patients"]["nodes"][0]["id"], found["organizations"]["nodes"][0]["id"], "garbage"]
    for _ in range(5):
        result = await tenant_a.raw("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
        assert result["errors"][0]["extensions"]["code"] == "INVALID_ID"
    await asyncio.sleep(0.3)
    assert await api_connections_idle_in_transaction(owner_engine) == 0
