"""A new category and a concurrent move of one of its ancestors cannot together make a
cycle: every change of a tenant's tree takes the same lock (service/categories.py)."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from app.audit import Actor
from app.db import tenant_transaction
from modules.products.service import categories
from schema.relay import from_global_id, to_global_id
from tests.products.catalog_ops import CREATE_CATEGORY, ok
from tests.products.test_inventory import _until_waiting_on_locks


async def test_a_move_waits_for_a_category_being_created_in_its_subtree(tenant_a, owner_engine, api_engine):
    made = {}
    for name, parent in (("S", None), ("G", "S"), ("O", None)):
        values = {"name": f"Race {name}", **({"parentId": made[parent]} if parent else {})}
        made[name] = (await ok(tenant_a, CREATE_CATEGORY, {"input": values}))["id"]
    pk = {name: from_global_id(gid)[1] for name, gid in made.items()}
    actor = Actor(tenant_a.id, None)

    async def move_s_under_o():  # type: ignore[no-untyped-def]
        async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
            await categories.update_category(conn, actor, pk["S"], {"parent_id": pk["O"]})

    async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
        child = await categories.create_category(conn, actor, {"name": "Race C", "parent_id": pk["G"]})
        moving = asyncio.create_task(move_s_under_o())  # its subtree now includes C, uncommitted
        await _until_waiting_on_locks(owner_engine, 1)
    await moving
    async with owner_engine.connect() as conn:
        path = await conn.scalar(
            sa.text("SELECT path FROM product_categories WHERE id = :id"), {"id": child.id}
        )
    assert path == [pk["O"], pk["S"], pk["G"], child.id]  # the move rewrote the new category too

    cycle = await tenant_a.query(
        "mutation($id: ID!, $p: ID!) { updateProductCategory(id: $id, input: {parentId: $p}) { errors { code } } }",
        {"id": made["O"], "p": to_global_id("ProductCategory", child.id)},
    )
    assert cycle["updateProductCategory"]["errors"] == [{"code": "CYCLE"}]
