"""The intake checks orders in batches, set-based: a batch of 30 orders costs the same
statements as a batch of 3, each order ends as checking it alone would leave it (its
checks, its history row, its audit row, its event), and orders that fail go to
needs_attention with their own reasons beside orders that pass."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.audit import Actor
from app.db import tenant_transaction
from modules.orders.service.submission import check_orders
from schema.relay import to_global_id
from tests.jobs.intake_ops import submitted
from tests.jobs_support import alone
from tests.orders.orders_ops import STEP, UPDATE, delivery_date, draft_input, make_product, ok
from tests.support import recorded_statements

CHECKS_PER_ROUND = 4  # the orders module's own


async def _check(api_engine: Any, tenant: Any, orders: list[Any]) -> list[str]:
    """`check_orders` on the orders as one batch, as the worker runs it (API role): the
    statements it ran."""
    with recorded_statements(api_engine) as statements:
        async with tenant_transaction(api_engine, str(tenant.id)) as conn:
            checked = await check_orders(conn, Actor(tenant.id, None, "job:test"), orders)
    assert checked == len(orders)
    return statements


async def _effects(owner_engine: Any, tenant: Any, orders: list[Any]) -> dict[str, Any]:
    counts = {
        "checks": "SELECT count(*) FROM order_checks WHERE order_id = ANY(:ids)",
        "history": "SELECT count(*) FROM order_status_history WHERE order_id = ANY(:ids) AND from_status = 'submitted'",
        "audit": "SELECT count(*) FROM audit_log WHERE entity_id = ANY(:ids) AND action LIKE 'order.status.%'"
        " AND request_id = 'job:test'",
        "events": "SELECT count(*) FROM domain_events WHERE entity_id = ANY(:ids) AND type = 'order.status_changed'"
        " AND payload->>'from_status' = 'submitted'",
    }
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        found = {k: await conn.scalar(sa.text(sql), {"ids": orders}) for k, sql in counts.items()}
        rows = await conn.execute(
            sa.text("SELECT id, status, version, attention_reasons FROM orders WHERE id = ANY(:ids)"),
            {"ids": orders},
        )
        found["orders"] = {row.id: row for row in rows}
    return found


async def test_a_batch_costs_the_same_statements_whatever_its_size(owner_engine, api_engine, tenant_a):
    with alone():  # no worker: the test checks the orders itself
        few = [await submitted(owner_engine, tenant_a) for _ in range(3)]
        many = [await submitted(owner_engine, tenant_a) for _ in range(30)]
        for_few = await _check(api_engine, tenant_a, few)
        for_many = await _check(api_engine, tenant_a, many)
    assert len(for_few) == len(for_many) <= 13, for_many
    effects = await _effects(owner_engine, tenant_a, many)
    assert (effects["checks"], effects["history"], effects["audit"], effects["events"]) == (
        30 * CHECKS_PER_ROUND,
        30,
        30,
        30,
    )
    assert {row.status for row in effects["orders"].values()} == {"pending_admin_review"}


async def test_passing_and_failing_orders_in_one_batch_each_end_as_alone(owner_engine, api_engine, tenant_a):
    too_few = await make_product(owner_engine, tenant_a)
    with alone():
        passing = [await submitted(owner_engine, tenant_a) for _ in range(2)]
        soon = draft_input(tenant_a, too_few, 1, requestedDeliveryDate=delivery_date(1))
        failing = [await submitted(owner_engine, tenant_a, soon)]
        late = draft_input(tenant_a, too_few, 50, requestedDeliveryDate=delivery_date(30))
        failing.append(await submitted(owner_engine, tenant_a, late))
        mixed = await _check(api_engine, tenant_a, [passing[0], failing[0], passing[1], failing[1]])
        assert len(mixed) <= 17, mixed  # an all-passing batch's 13, and the failed orders' move (4)
        # Sent again (a second delivery): nothing more happens to any of them.
        async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
            again = await check_orders(conn, Actor(tenant_a.id, None, "job:test"), passing + failing)
    assert again == 0
    effects = await _effects(owner_engine, tenant_a, passing + failing)
    assert (effects["history"], effects["audit"], effects["events"]) == (4, 4, 4)
    orders = effects["orders"]
    assert [orders[o].status for o in passing] == ["pending_admin_review"] * 2
    assert [orders[o].attention_reasons for o in passing] == [[], []]
    assert [orders[o].status for o in failing] == ["needs_attention"] * 2
    soon_reasons, late_reasons = (orders[o].attention_reasons for o in failing)
    assert any("day(s)" in r for r in soon_reasons) and not any("ordered, at most" in r for r in soon_reasons)
    assert any("50 ordered, at most 10 available" in r for r in late_reasons)
    assert not any("day(s)" in r for r in late_reasons)
    assert {orders[o].version for o in passing + failing} == {3}  # draft 1, submitted 2, checked 3


async def test_an_order_submitted_again_is_checked_in_its_new_round(owner_engine, api_engine, tenant_a):
    """Whatever round a message names (a copy of the first submission's, running after the
    second), the order is checked in the round its history says it is in."""
    product = await make_product(owner_engine, tenant_a)
    with alone():
        soon = draft_input(tenant_a, product, 1, requestedDeliveryDate=delivery_date(1))
        order = await submitted(owner_engine, tenant_a, soon)
        await _check(api_engine, tenant_a, [order])  # round 1: needs attention (lead time)
        node = to_global_id("Order", order)
        version = (await _effects(owner_engine, tenant_a, [order]))["orders"][order].version
        later = {"id": node, "version": version, "requestedDeliveryDate": delivery_date(30)}
        fixed = await ok(tenant_a, UPDATE, "updateOrder", later)
        await ok(tenant_a, STEP["submitOrder"], "submitOrder", {"id": node, "version": fixed["version"]})
        await _check(api_engine, tenant_a, [order])
    async with tenant_transaction(owner_engine, str(tenant_a.id)) as conn:
        rounds = await conn.execute(
            sa.text(
                "SELECT round, count(*) FROM order_checks WHERE order_id = :o GROUP BY round ORDER BY round"
            ),
            {"o": order},
        )
        assert [tuple(r) for r in rounds] == [(1, CHECKS_PER_ROUND), (2, CHECKS_PER_ROUND)]
