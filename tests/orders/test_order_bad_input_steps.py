"""Workflow steps and sales reps refuse bad input with typed errors and change nothing: an
incomplete submission, a shipment without a carrier or from the future, a delivery of
another order's shipment, a rejection or cancellation without a reason, a sales rep with a
blank name, a commission out of range, a loop in the hierarchy, a user taken twice."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from medgraph.demo import _id
from schema.relay import to_global_id
from tests.orders.order_state import reach, ship, unchanged
from tests.orders.orders_ops import (
    CREATE,
    ERRORS,
    MARK_DELIVERED,
    ORDER,
    RECORD_SHIPMENT,
    STEP,
    draft_input,
    make_product,
    ok,
    refused,
    run,
    step,
)

SHIPMENTS = "query($id: ID!) { order(id: $id) { shipments(first: 10) { nodes { id deliveredAt } } } }"
REP = f"salesRep {{ id name commissionRate parent {{ id }} }} {ERRORS}"
CREATE_REP = f"mutation($input: SalesRepInput!) {{ createSalesRep(input: $input) {{ {REP} }} }}"
UPDATE_REP = f"mutation($input: UpdateSalesRepInput!) {{ updateSalesRep(input: $input) {{ {REP} }} }}"
DEACTIVATE_REP = (
    f"mutation($input: DeactivateSalesRepInput!) {{ deactivateSalesRep(input: $input) {{ {REP} }} }}"
)


def _when(**delta: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(**delta)).isoformat()


async def _refused(owner_engine, tenant, operation, name, values, *others) -> set:
    async with unchanged(owner_engine, tenant, *others):
        return await refused(tenant, operation, name, values)


async def _status(tenant, order) -> str:
    return (await tenant.query(ORDER, {"id": order["id"]}))["order"]["status"]


@pytest.mark.parametrize(
    ("missing", "field"),
    [
        ("items", "input.items"),
        ("providerId", "input.providerId"),
        ("patientId", "input.patientId"),
        ("requestedDeliveryDate", "input.requestedDeliveryDate"),
    ],
)
async def test_an_incomplete_draft_is_not_submitted(owner_engine, tenant_a, missing, field):
    values = draft_input(tenant_a, await make_product(owner_engine, tenant_a))
    del values[missing]
    order = await ok(tenant_a, CREATE, "createOrder", values)
    at = {"id": order["id"], "version": order["version"]}
    assert await _refused(owner_engine, tenant_a, STEP["submitOrder"], "submitOrder", at) == {
        (field, "REQUIRED")
    }
    assert await _status(tenant_a, order) == "DRAFT"


async def test_a_bare_draft_lists_everything_it_lacks(owner_engine, tenant_a):
    order = await ok(tenant_a, CREATE, "createOrder", {"facilityId": draft_input(tenant_a)["facilityId"]})
    at = {"id": order["id"], "version": order["version"]}
    assert await _refused(owner_engine, tenant_a, STEP["submitOrder"], "submitOrder", at) == {
        ("input.items", "REQUIRED"),
        ("input.providerId", "REQUIRED"),
        ("input.patientId", "REQUIRED"),
        ("input.requestedDeliveryDate", "REQUIRED"),
    }
    unknown = {"id": to_global_id("Order", uuid.uuid4()), "version": 1}
    assert await _refused(owner_engine, tenant_a, STEP["submitOrder"], "submitOrder", unknown) == {
        ("id", "NOT_FOUND")
    }


async def test_a_shipment_needs_a_carrier_a_past_time_and_real_urls(owner_engine, tenant_a):
    order = await reach(owner_engine, tenant_a, "confirmed")
    base = {"orderId": order["id"], "version": order["version"], "carrier": "UPS"}
    cases = [
        ({"carrier": "   "}, "input.carrier", "REQUIRED"),
        ({"carrier": "x" * 101}, "input.carrier", "TOO_LONG"),
        ({"trackingNumber": "x" * 101}, "input.trackingNumber", "TOO_LONG"),
        ({"notes": "x" * 2001}, "input.notes", "TOO_LONG"),
        ({"shippedAt": _when(days=2)}, "input.shippedAt", "INVALID"),
        ({"shippedAt": "1999-12-31T10:00:00+00:00"}, "input.shippedAt", "INVALID"),
        ({"shippedAt": "2024-05-01T10:00:00"}, "input.shippedAt", "INVALID"),  # no time zone
        ({"documentUrls": ["https://docs.example/a.pdf", "ftp://x"]}, "input.documentUrls.1", "INVALID"),
        ({"documentUrls": ["javascript:alert(1)"]}, "input.documentUrls.0", "INVALID"),
        (
            {"documentUrls": [f"https://docs.example/{i}" for i in range(21)]},
            "input.documentUrls",
            "TOO_LONG",
        ),
        ({"orderId": to_global_id("Order", uuid.uuid4())}, "input.orderId", "NOT_FOUND"),
        ({"orderId": order["items"]["nodes"][0]["id"]}, "input.orderId", "NOT_FOUND"),
        ({"version": order["version"] - 1}, "input.version", "STALE"),
    ]
    for change, field, code in cases:
        got = await _refused(owner_engine, tenant_a, RECORD_SHIPMENT, "recordShipment", base | change)
        assert got == {(field, code)}, (change, got)
    assert await _status(tenant_a, order) == "CONFIRMED"
    # a clock a little ahead is fine
    shipped = await ok(tenant_a, RECORD_SHIPMENT, "recordShipment", base | {"shippedAt": _when(hours=2)})
    assert shipped["status"] == "SHIPPED"


async def test_a_delivery_names_a_shipment_of_its_own_order(owner_engine, tenant_a):
    ours = await reach(owner_engine, tenant_a, "shipped")
    other = await reach(owner_engine, tenant_a, "shipped")
    their_shipment = (await tenant_a.query(SHIPMENTS, {"id": other["id"]}))["order"]["shipments"]["nodes"][0][
        "id"
    ]
    base = {"id": ours["id"], "version": ours["version"]}
    cases = [
        ({"shipmentId": their_shipment}, "input.shipmentId", "NOT_FOUND"),
        ({"shipmentId": to_global_id("Shipment", uuid.uuid4())}, "input.shipmentId", "NOT_FOUND"),
        ({"shipmentId": other["id"]}, "input.shipmentId", "NOT_FOUND"),
        ({"deliveredAt": "2020-01-01T00:00:00+00:00"}, "input.deliveredAt", "INVALID"),  # before it shipped
        ({"deliveredAt": _when(days=3)}, "input.deliveredAt", "INVALID"),
        ({"id": to_global_id("Order", uuid.uuid4())}, "id", "NOT_FOUND"),
    ]
    for change, field, code in cases:
        got = await _refused(owner_engine, tenant_a, MARK_DELIVERED, "markDelivered", base | change)
        assert got == {(field, code)}, (change, got)
    assert await _status(tenant_a, ours) == "SHIPPED"
    assert await _status(tenant_a, other) == "SHIPPED"


async def test_rejecting_and_cancelling_need_a_reason(owner_engine, tenant_a):
    pending = await reach(owner_engine, tenant_a, "pending_admin_review")
    drafted = await reach(owner_engine, tenant_a, "draft")
    for name, order in (("rejectOrder", pending), ("cancelOrder", drafted)):
        at = {"id": order["id"], "version": order["version"]}
        for reason, code in ((None, "REQUIRED"), ("   ", "REQUIRED"), ("x" * 2001, "TOO_LONG")):
            got = await _refused(owner_engine, tenant_a, STEP[name], name, at | {"reason": reason})
            assert got == {("input.reason", code)}, (name, reason, got)
        got = await _refused(owner_engine, tenant_a, STEP[name], name, at)
        assert got == {("input.reason", "REQUIRED")}
    assert await _status(tenant_a, pending) == "PENDING_ADMIN_REVIEW"
    assert await _status(tenant_a, drafted) == "DRAFT"
    too_long = {"id": pending["id"], "version": pending["version"], "reason": "x" * 2001}
    got = await _refused(owner_engine, tenant_a, STEP["approveOrder"], "approveOrder", too_long)
    assert got == {("input.reason", "TOO_LONG")}


async def test_a_note_on_a_fulfilment_step_is_kept_and_checked(owner_engine, tenant_a):
    order = await reach(owner_engine, tenant_a, "approved")
    at = {"id": order["id"], "version": order["version"]}
    got = await _refused(
        owner_engine, tenant_a, STEP["markSubmittedToManufacturer"], "markSubmittedToManufacturer",
        at | {"reason": "x" * 2001},
    )  # fmt: skip
    assert got == {("input.reason", "TOO_LONG")}
    order = await step(tenant_a, "markSubmittedToManufacturer", order, reason="Sent by fax")
    assert order["statusReason"] == "Sent by fax"
    order = await step(tenant_a, "confirmOrder", order, reason="Confirmation #77")
    assert order["statusReason"] == "Confirmation #77"
    assert (await ship(tenant_a, order))["status"] == "SHIPPED"


def _user(tenant, role: str) -> str:
    return to_global_id("User", _id(tenant.slug, "user", role))


async def _rep(tenant, **values) -> dict:
    payload = await run(
        tenant, CREATE_REP, "createSalesRep", {"name": f"Rep {uuid.uuid4().hex[:6]}", **values}
    )
    assert payload["errors"] == [], payload
    return payload["salesRep"]


async def _rep_refused(owner_engine, tenant, operation, name, values, *others) -> set:
    async with unchanged(owner_engine, tenant, *others):
        payload = await run(tenant, operation, name, values)
    assert payload["salesRep"] is None, payload
    return {(e["field"], e["code"]) for e in payload["errors"]}


BAD_REP = [
    ({"name": "   "}, "input.name", "REQUIRED"),
    ({"name": None}, "input.name", "REQUIRED"),
    ({"name": "x" * 201}, "input.name", "TOO_LONG"),
    ({"commissionRate": "101"}, "input.commissionRate", "INVALID"),
    ({"commissionRate": "-1"}, "input.commissionRate", "NEGATIVE"),
    ({"commissionRate": "1.234"}, "input.commissionRate", "INVALID"),
    ({"commissionRate": "NaN"}, "input.commissionRate", "INVALID"),
    ({"parentSharePercent": "100.01"}, "input.parentSharePercent", "INVALID"),
    ({"email": "not-an-email"}, "input.email", "INVALID"),
    ({"phone": "abc"}, "input.phone", "INVALID"),
    ({"territory": "x" * 201}, "input.territory", "TOO_LONG"),
    ({"parentRepId": to_global_id("SalesRep", uuid.uuid4())}, "input.parentRepId", "NOT_FOUND"),
    ({"userId": to_global_id("User", uuid.uuid4())}, "input.userId", "NOT_FOUND"),
]


async def test_sales_reps_refuse_bad_input(owner_engine, tenant_a, tenant_b):
    rep = await _rep(tenant_a, commissionRate="5.50")
    for change, field, code in BAD_REP:
        got = await _rep_refused(
            owner_engine, tenant_a, CREATE_REP, "createSalesRep", {"name": "Ann"} | change
        )
        assert got == {(field, code)}, (change, got)
        got = await _rep_refused(
            owner_engine, tenant_a, UPDATE_REP, "updateSalesRep", {"id": rep["id"]} | change
        )
        assert got == {(field, code)}, (change, got)
    assert await _rep_refused(owner_engine, tenant_a, CREATE_REP, "createSalesRep", {}) == {
        ("input.name", "REQUIRED")
    }
    theirs = await _rep(tenant_b)
    cases = [
        (CREATE_REP, "createSalesRep", {"name": "Ann", "parentRepId": theirs["id"]}, ("input.parentRepId", "NOT_FOUND")),
        (CREATE_REP, "createSalesRep", {"name": "Ann", "userId": _user(tenant_b, "sales_rep")}, ("input.userId", "NOT_FOUND")),
        (CREATE_REP, "createSalesRep", {"name": "Ann", "parentRepId": _user(tenant_a, "owner")}, ("input.parentRepId", "NOT_FOUND")),
        (UPDATE_REP, "updateSalesRep", {"id": theirs["id"], "name": "Mine now"}, ("id", "NOT_FOUND")),
        (UPDATE_REP, "updateSalesRep", {"id": to_global_id("SalesRep", uuid.uuid4()), "name": "X"}, ("id", "NOT_FOUND")),
        (DEACTIVATE_REP, "deactivateSalesRep", {"id": theirs["id"]}, ("id", "NOT_FOUND")),
    ]  # fmt: skip
    for operation, name, values, expected in cases:
        got = await _rep_refused(owner_engine, tenant_a, operation, name, values, tenant_b)
        assert got == {expected}, (values, got)


async def test_a_sales_rep_hierarchy_has_no_loops_and_a_user_is_one_rep(owner_engine, tenant_a):
    top = await _rep(tenant_a, userId=_user(tenant_a, "viewer"))
    middle = await _rep(tenant_a, parentRepId=top["id"])
    bottom = await _rep(tenant_a, parentRepId=middle["id"])
    for rep, parent in ((top, bottom), (top, middle), (middle, bottom), (top, top)):
        got = await _rep_refused(
            owner_engine,
            tenant_a,
            UPDATE_REP,
            "updateSalesRep",
            {"id": rep["id"], "parentRepId": parent["id"]},
        )
        assert got == {("input.parentRepId", "CYCLE")}, (rep["name"], parent["name"], got)
    taken = {"name": "Twin", "userId": _user(tenant_a, "viewer")}
    assert await _rep_refused(owner_engine, tenant_a, CREATE_REP, "createSalesRep", taken) == {
        ("input.userId", "DUPLICATE")
    }
    moved = {"id": bottom["id"], "userId": _user(tenant_a, "viewer")}
    assert await _rep_refused(owner_engine, tenant_a, UPDATE_REP, "updateSalesRep", moved) == {
        ("input.userId", "DUPLICATE")
    }
    gone = await _rep(tenant_a)
    payload = await run(tenant_a, DEACTIVATE_REP, "deactivateSalesRep", {"id": gone["id"]})
    assert payload["errors"] == []
    reporting = {"name": "New", "parentRepId": gone["id"]}
    assert await _rep_refused(owner_engine, tenant_a, CREATE_REP, "createSalesRep", reporting) == {
        ("input.parentRepId", "INACTIVE")
    }
