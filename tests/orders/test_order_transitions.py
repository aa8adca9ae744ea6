"""The order workflow refuses what its table does not allow: every step from every status it
may not be taken from is ILLEGAL_TRANSITION on `id`, a stale version is STALE, and neither
changes anything. Also the legal but subtle moves: an order needing attention fixed and
resubmitted, a second shipment, deliveries one shipment at a time, stock given back on
cancel, drop-shipped products, stock gone by approval; and who may take which step."""

from __future__ import annotations

import pytest

from modules.orders.service.workflow import STEPS as WORKFLOW
from tests.orders.order_state import (
    STATUSES,
    deliver,
    level_id,
    level_of,
    product_of,
    reach,
    ship,
    state,
    unchanged,
)
from tests.orders.orders_ops import (
    ADD_ITEM,
    CREATE,
    ERRORS,
    MARK_DELIVERED,
    ORDER,
    RECORD_SHIPMENT,
    REMOVE_ITEM,
    STEP,
    UPDATE,
    delivery_date,
    draft_input,
    facility,
    make_product,
    ok,
    patient,
    provider,
    refused,
    run,
    step,
)

# Where each step may be taken from (`submitted` is passed through inside a submission,
# never seen by a client).
LEGAL = {
    "submitOrder": {"draft", "needs_attention"},
    "approveOrder": {"pending_admin_review"},
    "rejectOrder": {"pending_admin_review", "needs_attention"},
    "cancelOrder": {
        "draft",
        "needs_attention",
        "pending_admin_review",
        "approved",
        "submitted_to_manufacturer",
        "confirmed",
    },
    "markSubmittedToManufacturer": {"approved"},
    "confirmOrder": {"submitted_to_manufacturer"},
    "recordShipment": {"confirmed", "shipped"},
    "markDelivered": {"shipped"},
}
OPERATIONS = {**STEP, "recordShipment": RECORD_SHIPMENT, "markDelivered": MARK_DELIVERED}
CHECKS = """query($id: ID!) { order(id: $id) { status attentionReasons
  checks(first: 50) { nodes { round checkKey outcome reasons } } } }"""
SHIPMENTS = "query($id: ID!) { order(id: $id) { shipments(first: 10) { nodes { id deliveredAt } } } }"
RESERVE = f"""mutation($input: StockQuantityInput!) {{ reserveStock(input: $input) {{
  inventoryLevel {{ allocated }} {ERRORS} }} }}"""


def _values(name: str, order: dict, version: int | None = None) -> dict:
    version = order["version"] if version is None else version
    if name == "recordShipment":
        return {"orderId": order["id"], "version": version, "carrier": "UPS"}
    values = {"id": order["id"], "version": version}
    return values | {"reason": "Because"} if name in ("rejectOrder", "cancelOrder") else values


def test_the_table_here_is_the_workflows():
    assert {name: set(WORKFLOW[name].sources) - {"submitted"} for name in LEGAL} == LEGAL


@pytest.mark.parametrize("status", STATUSES)
async def test_every_step_not_allowed_from_a_status_is_refused(owner_engine, tenant_a, status):
    order = await reach(owner_engine, tenant_a, status)
    assert order["status"] == status.upper()
    illegal = [name for name in LEGAL if status not in LEGAL[name]]
    assert illegal
    for name in illegal:
        async with unchanged(owner_engine, tenant_a):
            got = await refused(tenant_a, OPERATIONS[name], name, _values(name, order))
        assert got == {("id", "ILLEGAL_TRANSITION")}, (status, name, got)
    now = (await tenant_a.query(ORDER, {"id": order["id"]}))["order"]
    assert (now["status"], now["version"]) == (order["status"], order["version"])


FROM = {
    "submitOrder": "draft",
    "approveOrder": "pending_admin_review",
    "rejectOrder": "needs_attention",
    "cancelOrder": "approved",
    "markSubmittedToManufacturer": "approved",
    "confirmOrder": "submitted_to_manufacturer",
    "recordShipment": "confirmed",
    "markDelivered": "shipped",
}


@pytest.mark.parametrize("name", list(FROM))
async def test_a_stale_version_is_refused_and_the_right_one_goes_through(owner_engine, tenant_a, name):
    order = await reach(owner_engine, tenant_a, FROM[name])
    for version in (order["version"] - 1, order["version"] + 1, 999_999, -1):
        async with unchanged(owner_engine, tenant_a):
            got = await refused(tenant_a, OPERATIONS[name], name, _values(name, order, version))
        assert got == {("input.version", "STALE")}, (version, got)
    moved = await ok(tenant_a, OPERATIONS[name], name, _values(name, order))
    assert moved["version"] > order["version"]
    assert moved["status"] == WORKFLOW[name].target.upper() or name == "submitOrder"


async def test_an_order_needing_attention_is_fixed_and_resubmitted(owner_engine, tenant_a):
    order = await reach(owner_engine, tenant_a, "needs_attention")
    assert any("the manufacturer needs 5 day(s)" in r for r in order["attentionReasons"]), order
    at = {"id": order["id"], "version": order["version"]}
    order = await ok(tenant_a, UPDATE, "updateOrder", at | {"requestedDeliveryDate": delivery_date()})
    assert order["status"] == "NEEDS_ATTENTION"
    order = await step(tenant_a, "submitOrder", order)
    assert order["status"] == "PENDING_ADMIN_REVIEW" and order["attentionReasons"] == []
    checked = (await tenant_a.query(CHECKS, {"id": order["id"]}))["order"]
    outcomes = {(c["round"], c["checkKey"]): c["outcome"] for c in checked["checks"]["nodes"]}
    assert outcomes[(1, "orders.lead_time")] == "FAIL"
    assert outcomes[(2, "orders.lead_time")] == "PASS"
    assert {r for r, _ in outcomes} == {1, 2}
    assert all(outcome != "FAIL" for (r, _), outcome in outcomes.items() if r == 2)


async def test_an_unpriced_item_needs_attention_until_replaced(owner_engine, tenant_a):
    order = await reach(owner_engine, tenant_a, "draft", price=None, quantity=1)
    order = await step(tenant_a, "submitOrder", order)
    assert order["status"] == "NEEDS_ATTENTION"
    assert any("has no price" in r for r in order["attentionReasons"]), order
    priced = await make_product(owner_engine, tenant_a)
    adding = {"orderId": order["id"], "version": order["version"], "productId": priced, "quantity": 1}
    order = await ok(tenant_a, ADD_ITEM, "addOrderItem", adding)
    first = order["items"]["nodes"][0]["id"]
    order = await ok(tenant_a, REMOVE_ITEM, "removeOrderItem", {"id": first, "version": order["version"]})
    order = await step(tenant_a, "submitOrder", order)
    assert order["status"] == "PENDING_ADMIN_REVIEW" and order["attentionReasons"] == []


async def test_a_second_shipment_and_deliveries_one_at_a_time(owner_engine, tenant_a):
    order = await reach(owner_engine, tenant_a, "confirmed", quantity=3)
    order = await ship(tenant_a, order)
    product_level = await product_of(owner_engine, tenant_a, order)
    assert await level_of(owner_engine, tenant_a, product_level) == (7, 0)
    order = await ship(tenant_a, order, carrier="FedEx")
    assert order["status"] == "SHIPPED"
    assert await level_of(owner_engine, tenant_a, product_level) == (7, 0)  # the stock left once
    shipments = (await tenant_a.query(SHIPMENTS, {"id": order["id"]}))["order"]["shipments"]["nodes"]
    assert len(shipments) == 2
    order = await deliver(tenant_a, order, shipmentId=shipments[0]["id"])
    assert order["status"] == "SHIPPED"
    after = (await tenant_a.query(SHIPMENTS, {"id": order["id"]}))["order"]["shipments"]["nodes"]
    assert sum(s["deliveredAt"] is not None for s in after) == 1
    order = await deliver(tenant_a, order, shipmentId=shipments[1]["id"])
    assert order["status"] == "DELIVERED"


@pytest.mark.parametrize("status", ["approved", "submitted_to_manufacturer", "confirmed"])
async def test_cancelling_after_approval_gives_the_stock_back(owner_engine, tenant_a, status):
    order = await reach(owner_engine, tenant_a, status, quantity=3)
    product = await product_of(owner_engine, tenant_a, order)
    assert await level_of(owner_engine, tenant_a, product) == (10, 3)
    order = await step(tenant_a, "cancelOrder", order, reason="Patient moved")
    assert (order["status"], order["statusReason"]) == ("CANCELLED", "Patient moved")
    assert await level_of(owner_engine, tenant_a, product) == (10, 0)


async def test_rejecting_reserves_and_releases_nothing(owner_engine, tenant_a):
    order = await reach(owner_engine, tenant_a, "pending_admin_review", quantity=3)
    product = await product_of(owner_engine, tenant_a, order)
    before = await state(owner_engine, tenant_a)
    order = await step(tenant_a, "rejectOrder", order, reason="Not covered")
    assert order["status"] == "REJECTED"
    after = await state(owner_engine, tenant_a)
    assert after["stock_movements"] == before["stock_movements"]
    assert await level_of(owner_engine, tenant_a, product) == (10, 0)


async def test_a_product_stocked_nowhere_is_approved_without_reserving(owner_engine, tenant_a):
    order = await reach(owner_engine, tenant_a, "pending_admin_review", stock=None)
    checked = (await tenant_a.query(CHECKS, {"id": order["id"]}))["order"]
    stock = [c for c in checked["checks"]["nodes"] if c["checkKey"] == "orders.stock_available"]
    assert [c["outcome"] for c in stock] == ["WARN"]
    assert "the manufacturer ships it" in stock[0]["reasons"][0]
    before = await state(owner_engine, tenant_a)
    order = await step(tenant_a, "approveOrder", order)
    assert order["status"] == "APPROVED"
    order = await step(tenant_a, "markSubmittedToManufacturer", order)
    order = await ship(tenant_a, await step(tenant_a, "confirmOrder", order))
    assert order["status"] == "SHIPPED"
    after = await state(owner_engine, tenant_a)
    assert (after["stock_movements"], after["on_hand"], after["allocated"]) == (
        before["stock_movements"],
        before["on_hand"],
        before["allocated"],
    )


async def test_stock_gone_by_approval_is_insufficient_and_the_order_stays_pending(owner_engine, tenant_a):
    order = await reach(owner_engine, tenant_a, "pending_admin_review", quantity=5)
    product = await product_of(owner_engine, tenant_a, order)
    level = await level_id(owner_engine, tenant_a, product)
    taken = await run(tenant_a, RESERVE, "reserveStock", {"levelId": level, "quantity": 8})
    assert taken["errors"] == [] and taken["inventoryLevel"]["allocated"] == 8
    async with unchanged(owner_engine, tenant_a):
        got = await refused(tenant_a, STEP["approveOrder"], "approveOrder", _values("approveOrder", order))
    assert got == {("input.items.0.quantity", "INSUFFICIENT_STOCK")}
    now = (await tenant_a.query(ORDER, {"id": order["id"]}))["order"]
    assert (now["status"], now["version"]) == ("PENDING_ADMIN_REVIEW", order["version"])
    assert await level_of(owner_engine, tenant_a, product) == (10, 8)


async def _forbidden(owner_engine, tenant, name: str, values: dict, role: str) -> None:
    """A top-level FORBIDDEN error, no payload, nothing changed."""
    async with unchanged(owner_engine, tenant):
        result = await tenant.raw(OPERATIONS.get(name, CREATE), {"input": values}, role)
    assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"], (name, role, result)
    assert (result.get("data") or {}).get(name) is None


@pytest.mark.parametrize("role", ["viewer", "sales_rep"])
async def test_readers_cannot_create_orders(owner_engine, tenant_a, role):
    made = await make_product(owner_engine, tenant_a)
    await _forbidden(owner_engine, tenant_a, "createOrder", draft_input(tenant_a, made), role)


async def test_a_provider_creates_submits_and_cancels_but_does_not_review(owner_engine, tenant_a):
    made = await make_product(owner_engine, tenant_a)
    order = await ok(tenant_a, CREATE, "createOrder", draft_input(tenant_a, made, 2), role="provider")
    order = await step(tenant_a, "submitOrder", order, role="provider")
    assert order["status"] == "PENDING_ADMIN_REVIEW"
    for name in ("approveOrder", "rejectOrder"):
        await _forbidden(owner_engine, tenant_a, name, _values(name, order), "provider")
    order = await step(tenant_a, "cancelOrder", order, role="provider", reason="Changed the plan")
    assert order["status"] == "CANCELLED"


async def test_a_facility_manager_does_not_fulfil(owner_engine, tenant_a):
    order = await reach(owner_engine, tenant_a, "approved")
    for name in ("markSubmittedToManufacturer", "recordShipment", "approveOrder"):
        await _forbidden(owner_engine, tenant_a, name, _values(name, order), "facility_manager")
    order = await step(tenant_a, "markSubmittedToManufacturer", order)
    await _forbidden(
        owner_engine, tenant_a, "confirmOrder", _values("confirmOrder", order), "facility_manager"
    )


async def test_a_provider_orders_only_at_their_own_facility(owner_engine, tenant_a):
    made = await make_product(owner_engine, tenant_a)
    elsewhere = draft_input(
        tenant_a, made, facilityId=facility(tenant_a, 1), providerId=provider(tenant_a, 1)
    )
    async with unchanged(owner_engine, tenant_a):
        got = await refused(tenant_a, CREATE, "createOrder", elsewhere, role="provider")
    assert got == {("input.facilityId", "NOT_FOUND")}
    at_one = {
        "facilityId": facility(tenant_a, 1),
        "providerId": provider(tenant_a, 1),
        "patientId": patient(tenant_a, 1),
    }
    theirs = await ok(tenant_a, CREATE, "createOrder", draft_input(tenant_a, made, **at_one))
    ours = await ok(tenant_a, CREATE, "createOrder", draft_input(tenant_a, made), role="provider")
    cases = [
        (STEP["cancelOrder"], "cancelOrder", _values("cancelOrder", theirs), ("id", "NOT_FOUND")),
        (STEP["submitOrder"], "submitOrder", _values("submitOrder", theirs), ("id", "NOT_FOUND")),
        (UPDATE, "updateOrder", _values("submitOrder", theirs) | {"notes": "x"}, ("id", "NOT_FOUND")),
        (UPDATE, "updateOrder", _values("submitOrder", ours) | at_one, ("input.facilityId", "NOT_FOUND")),
    ]
    for operation, name, values, expected in cases:
        async with unchanged(owner_engine, tenant_a):
            got = await refused(tenant_a, operation, name, values, role="provider")
        assert got == {expected}, (name, got)
