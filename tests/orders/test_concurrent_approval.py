"""Two approvals of one order at the same version, truly at once: exactly one approves, the
other is STALE; one `approved` history row, the stock reserved once.

The order's row is held locked from an owner connection (inside the tenant's context) until
both approvals wait on it, so they overlap in the database, not merely in asyncio. Once
released, one takes the row and commits; the other then locks the row as it is now, finds
the version moved on and is refused.
"""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from app.audit import Actor
from app.db import tenant_transaction
from app.errors import InputInvalid
from app.settings import get_settings
from medgraph.demo import _id
from modules.orders.service import items, review
from schema.relay import from_global_id
from tests.orders.order_state import level_of, product_of, reach
from tests.orders.orders_ops import ORDER, STEP, draft

LOCK = sa.text("SELECT 1 FROM orders WHERE id = :id FOR UPDATE")


async def _until_waiting_on_locks(owner_engine, count: int) -> None:
    """Until `count` connections of the API role wait on a lock (the order's row)."""
    for _ in range(400):
        async with owner_engine.connect() as conn:
            waiting = await conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid"
                    " WHERE a.datname = current_database() AND a.usename = :role AND NOT l.granted"
                    " AND l.locktype IN ('tuple', 'transactionid')"
                ),
                {"role": get_settings().api_db_role},
            )
        if waiting >= count:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"fewer than {count} connections waited on the order's row")


async def _after(owner_engine, tenant, order: dict[str, Any]) -> tuple[int, int]:
    """(`approved` history rows, reservation movements) of the order."""
    pk = from_global_id(order["id"])[1]
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        approvals = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM order_status_history WHERE tenant_id = :t AND order_id = :id"
                " AND to_status = 'approved'"
            ),
            {"t": tenant.id, "id": pk},
        )
        reservations = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM stock_movements m JOIN order_items i ON m.reference = 'order-item:' || i.id"
                " WHERE m.tenant_id = :t AND i.order_id = :id AND m.kind = 'reservation'"
            ),
            {"t": tenant.id, "id": pk},
        )
    return approvals, reservations


async def test_two_concurrent_approvals_through_the_app_approve_once(owner_engine, tenant_a):
    order = await reach(owner_engine, tenant_a, "pending_admin_review", quantity=3)
    product = await product_of(owner_engine, tenant_a, order)
    await tenant_a.token()  # signed in before the race
    request = {"input": {"id": order["id"], "version": order["version"]}}
    async with tenant_transaction(owner_engine, str(tenant_a.id)) as holder:
        await holder.execute(LOCK, {"id": from_global_id(order["id"])[1]})
        tasks = [asyncio.create_task(tenant_a.raw(STEP["approveOrder"], request)) for _ in range(2)]
        await _until_waiting_on_locks(owner_engine, 2)
    results = await asyncio.gather(*tasks)
    assert all("errors" not in r for r in results), results
    answers = [r["data"]["approveOrder"] for r in results]
    won = [a for a in answers if a["errors"] == []]
    lost = [a for a in answers if a["errors"]]
    assert len(won) == 1 and len(lost) == 1, answers
    assert won[0]["order"]["status"] == "APPROVED"
    assert won[0]["order"]["version"] == order["version"] + 1
    assert lost[0]["order"] is None
    assert [(e["field"], e["code"]) for e in lost[0]["errors"]] == [("input.version", "STALE")]
    now = (await tenant_a.query(ORDER, {"id": order["id"]}))["order"]
    assert (now["status"], now["version"]) == ("APPROVED", order["version"] + 1)
    assert await _after(owner_engine, tenant_a, order) == (1, 1)
    assert await level_of(owner_engine, tenant_a, product) == (10, 3)


async def test_two_concurrent_approvals_in_the_service_approve_once(owner_engine, api_engine, tenant_a):
    """`approve_order` itself, on two real connections of the API role."""
    order = await reach(owner_engine, tenant_a, "pending_admin_review", quantity=3)
    product = await product_of(owner_engine, tenant_a, order)
    pk = from_global_id(order["id"])[1]
    actor = Actor(tenant_a.id, _id(tenant_a.slug, "user", "owner"))

    async def approve() -> Any:
        try:
            async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
                return await review.approve_order(conn, actor, {"id": pk, "version": order["version"]})
        except InputInvalid as exc:
            return exc

    async with tenant_transaction(owner_engine, str(tenant_a.id)) as holder:
        await holder.execute(LOCK, {"id": pk})
        tasks = [asyncio.create_task(approve()) for _ in range(2)]
        await _until_waiting_on_locks(owner_engine, 2)
    outcomes = await asyncio.gather(*tasks)
    won = [o for o in outcomes if not isinstance(o, InputInvalid)]
    lost = [o for o in outcomes if isinstance(o, InputInvalid)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert (won[0].status, won[0].version) == ("approved", order["version"] + 1)
    assert [(p.field, p.code) for p in lost[0].problems] == [("input.version", "STALE")]
    assert await _after(owner_engine, tenant_a, order) == (1, 1)
    assert await level_of(owner_engine, tenant_a, product) == (10, 3)


async def test_an_approval_waits_for_a_cancellation_and_finds_it_stale(owner_engine, api_engine, tenant_a):
    """One transaction cancels while the other approves: the approval waits on the row,
    then sees the new version; nothing is reserved."""
    order = await reach(owner_engine, tenant_a, "pending_admin_review", quantity=3)
    product = await product_of(owner_engine, tenant_a, order)
    pk = from_global_id(order["id"])[1]
    actor = Actor(tenant_a.id, _id(tenant_a.slug, "user", "owner"))
    values = {"id": pk, "version": order["version"]}

    async def approve() -> Any:
        try:
            async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
                return await review.approve_order(conn, actor, dict(values))
        except InputInvalid as exc:
            return exc

    async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
        cancelled = await review.cancel_order(conn, actor, values | {"reason": "Duplicate"})
        task = asyncio.create_task(approve())
        await _until_waiting_on_locks(owner_engine, 1)
    lost = await task
    assert cancelled.status == "cancelled"
    assert isinstance(lost, InputInvalid)
    assert [(p.field, p.code) for p in lost.problems] == [("input.version", "STALE")]
    assert await _after(owner_engine, tenant_a, order) == (0, 0)
    assert await level_of(owner_engine, tenant_a, product) == (10, 0)


async def test_an_item_edit_waits_for_its_order_before_it_locks_the_item(owner_engine, api_engine, tenant_a):
    """Every change locks the order before its items (a submission reprices the items of
    the order it holds): an item edit waiting for its order holds no lock on the item, so
    the two never wait on each other."""
    order = await draft(owner_engine, tenant_a)
    pk, item = from_global_id(order["id"])[1], from_global_id(order["items"]["nodes"][0]["id"])[1]
    actor = Actor(tenant_a.id, _id(tenant_a.slug, "user", "owner"))

    async def edit() -> Any:
        async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
            values = {"id": item, "version": order["version"], "quantity": 3}
            return await items.update_order_item(conn, actor, values)

    async with tenant_transaction(owner_engine, str(tenant_a.id)) as holder:
        await holder.execute(LOCK, {"id": pk})
        task = asyncio.create_task(edit())
        await _until_waiting_on_locks(owner_engine, 1)
        async with tenant_transaction(owner_engine, str(tenant_a.id)) as other:
            await other.execute(
                sa.text("SELECT 1 FROM order_items WHERE id = :id FOR UPDATE NOWAIT"), {"id": item}
            )
    edited = await task
    assert (edited.version, edited.item_count) == (order["version"] + 1, 1)
