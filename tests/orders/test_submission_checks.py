"""The submission-check pipeline: a module registers a check without the orders module
importing it; its failure sends the order to needs_attention with the reasons readable
through GraphQL, a warning does not; the orders module's own checks each say what they
found; and the service answers the same when called directly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.audit import Actor
from app.db import tenant_transaction
from modules.orders import SUBMISSION_CHECKS, CheckResult, OrderUnderCheck
from modules.orders.service.submission import check_orders
from schema.relay import from_global_id
from tests.orders.orders_ops import CREATE, UPDATE, delivery_date, draft, draft_input, make_product, ok, step

CHECKS = """query($id: ID!) { order(id: $id) { status attentionReasons
  checks(first: 50, filter: {latestOnly: true}) { nodes { round checkKey outcome reasons } } } }"""


async def _checks(tenant, order) -> dict:
    return (await tenant.query(CHECKS, {"id": order["id"]}))["order"]


async def test_a_registered_check_sends_an_order_to_needs_attention(owner_engine, tenant_a):
    seen: list[OrderUnderCheck] = []

    async def coverage_current(conn, batch: list[OrderUnderCheck]) -> list[CheckResult]:
        seen.extend(batch)
        return [CheckResult.fail("No verified coverage for this manufacturer") for _ in batch]

    order = await draft(owner_engine, tenant_a)
    with SUBMISSION_CHECKS.registered("verifications.coverage_current", coverage_current):
        submitted = await step(tenant_a, "submitOrder", order)
    assert submitted["status"] == "NEEDS_ATTENTION"
    assert submitted["attentionReasons"] == ["No verified coverage for this manufacturer"]
    assert len(seen) == 1 and seen[0].order.order_number == order["orderNumber"]
    assert [item.quantity for item in seen[0].items] == [2]
    found = await _checks(tenant_a, order)
    outcomes = {c["checkKey"]: c["outcome"] for c in found["checks"]["nodes"]}
    assert outcomes["verifications.coverage_current"] == "FAIL"
    assert outcomes["orders.items_orderable"] == "PASS"
    assert "verifications.coverage_current" not in SUBMISSION_CHECKS.names()

    # Fixed (the check now passes): submitted again, round 2, on to review.
    again = await step(tenant_a, "submitOrder", submitted)
    assert again["status"] == "PENDING_ADMIN_REVIEW" and again["attentionReasons"] == []
    rounds = {c["round"] for c in (await _checks(tenant_a, order))["checks"]["nodes"]}
    assert rounds == {2}


async def test_a_warning_does_not_stop_an_order(owner_engine, tenant_a):
    async def advisory(conn, batch):
        return [CheckResult.warn("Consider a larger size") for _ in batch]

    order = await draft(owner_engine, tenant_a)
    with SUBMISSION_CHECKS.registered("clinical.advisory", advisory):
        submitted = await step(tenant_a, "submitOrder", order)
    assert submitted["status"] == "PENDING_ADMIN_REVIEW"
    checks = (await _checks(tenant_a, order))["checks"]["nodes"]
    assert {
        "checkKey": "clinical.advisory",
        "outcome": "WARN",
        "round": 1,
        "reasons": ["Consider a larger size"],
    } in checks


async def test_the_orders_own_checks(owner_engine, tenant_a):
    # Unpriced, below the maker's minimum (150.00), too soon for its lead time (5 days), short of stock.
    unpriced = await make_product(owner_engine, tenant_a, price=None)
    values = draft_input(tenant_a, unpriced, 50, requestedDeliveryDate=delivery_date(1))
    order = await ok(tenant_a, CREATE, "createOrder", values)
    submitted = await step(tenant_a, "submitOrder", order)
    assert submitted["status"] == "NEEDS_ATTENTION"
    found = {c["checkKey"]: c for c in (await _checks(tenant_a, order))["checks"]["nodes"]}
    assert found["orders.items_orderable"]["outcome"] == "FAIL"
    assert "has no price" in found["orders.items_orderable"]["reasons"][0]
    assert found["orders.minimum_order_amount"]["outcome"] == "FAIL"
    assert found["orders.lead_time"]["outcome"] == "FAIL"
    assert "5 day(s)" in found["orders.lead_time"]["reasons"][0]
    assert found["orders.stock_available"]["outcome"] == "FAIL"
    assert "50 ordered, at most 10 available" in found["orders.stock_available"]["reasons"][0]
    assert len(submitted["attentionReasons"]) == 4

    # A later delivery date fixes the lead time only; the rest still fail.
    fixed = await ok(
        tenant_a,
        UPDATE,
        "updateOrder",
        {"id": order["id"], "version": submitted["version"], "requestedDeliveryDate": delivery_date(30)},
    )
    assert fixed["status"] == "NEEDS_ATTENTION"
    again = await step(tenant_a, "submitOrder", fixed)
    assert again["status"] == "NEEDS_ATTENTION" and len(again["attentionReasons"]) == 3


async def test_check_orders_runs_once(owner_engine, tenant_a):
    """Called on an order that is no longer `submitted` (checked already), the service
    changes nothing: what the background intake will rely on."""
    order = await step(tenant_a, "submitOrder", await draft(owner_engine, tenant_a))
    pk = from_global_id(order["id"])[1]
    actor = Actor(tenant_a.id, None)
    async with tenant_transaction(owner_engine, str(tenant_a.id)) as conn:
        before = await conn.scalar(
            sa.text("SELECT count(*) FROM order_checks WHERE order_id = :id"), {"id": pk}
        )
        checked = await check_orders(conn, actor, [pk])
        after = await conn.scalar(
            sa.text("SELECT count(*) FROM order_checks WHERE order_id = :id"), {"id": pk}
        )
        status = await conn.scalar(sa.text("SELECT status FROM orders WHERE id = :id"), {"id": pk})
    assert status == "pending_admin_review" and before == after and checked == 0


async def test_a_check_that_answers_for_the_wrong_number_of_orders_is_a_bug():
    """Not hidden by a batch's split into single orders: a batch of two answered with one
    result is a TypeError, and so is an answer that is not a CheckResult."""
    from modules.orders.checks import SubmissionChecks

    batch = [OrderUnderCheck(object(), []), OrderUnderCheck(object(), [])]
    for answer, found in (
        ([CheckResult.passed()], "1 results for 2 orders"),
        (["pass", "pass"], "not a CheckResult"),
    ):
        checks = SubmissionChecks()

        async def check(conn, under, answer=answer):
            return answer

        checks.register("tests.wrong")(check)
        with pytest.raises(TypeError, match=found):
            await checks.run(None, batch)  # type: ignore[arg-type]
