"""The example operations in graphql/operations/ work as documented."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from medgraph.demo import DEMO_PASSWORD
from tests.orders import orders_ops
from tests.orders.orders_ops import checked, delivery_date, facility, make_product, patient, provider
from tests.support import gql

OPERATIONS = Path(__file__).resolve().parent.parent / "graphql" / "operations"


def op(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text()


async def test_login_refresh_and_me(tenant_a):
    login = await gql(
        tenant_a.client,
        op("Login"),
        {"email": tenant_a.email("manager"), "password": DEMO_PASSWORD, "tenant": tenant_a.slug},
    )
    payload = login["data"]["login"]
    assert payload["errors"] == [] and payload["user"]["email"] == tenant_a.email("manager")
    refreshed = await gql(tenant_a.client, op("RefreshToken"), {"refreshToken": payload["refreshToken"]})
    token = refreshed["data"]["refreshToken"]["accessToken"]
    me = await gql(tenant_a.client, op("Me"), headers={"authorization": f"Bearer {token}"})
    assert me["data"]["me"]["roles"] == ["manager"]
    assert me["data"]["me"]["tenant"]["slug"] == tenant_a.slug


async def test_paginated_filtered_list(tenant_a):
    first = await tenant_a.query(op("Organizations"), {"first": 2})
    page = first["organizations"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"] is True
    rest = await tenant_a.query(op("Organizations"), {"first": 2, "after": page["pageInfo"]["endCursor"]})
    names = [e["node"]["name"] for e in page["edges"] + rest["organizations"]["edges"]]
    assert names == sorted(names) and len(set(names)) == 3
    assert rest["organizations"]["pageInfo"]["hasNextPage"] is False
    filtered = await tenant_a.query(op("Organizations"), {"search": "two", "types": ["HOSPITAL"]})
    assert [e["node"]["name"] for e in filtered["organizations"]["edges"]] == ["Org Two"]


async def test_create_with_its_error_case(tenant_a):
    created = await tenant_a.query(
        op("CreateOrganization"), {"input": {"name": "Fresh Org", "type": "PHARMACY"}}
    )
    assert created["createOrganization"]["errors"] == []
    again = await tenant_a.query(op("CreateOrganization"), {"input": {"name": "Fresh Org"}})
    assert again["createOrganization"] == {
        "organization": None,
        "errors": [{"field": "input.name", "code": "DUPLICATE", "message": "This value is already in use"}],
    }


async def test_patient_chart(tenant_a):
    data = await tenant_a.query(
        op("PatientChart"), {"mrn": "MRN-1001"}, headers={"x-access-reason": "treatment"}
    )
    (patient,) = data["patients"]["nodes"]
    assert patient["mrn"] == "MRN-1001" and patient["facility"]["name"]


async def test_search_products_in_the_demo_catalog(tenant_a):
    words = await tenant_a.query(op("SearchProducts"), {"search": "foam"})
    found = [e["node"] for e in words["products"]["edges"]]
    assert found and all("foam" in (n["name"] + str(n["sku"])).lower() or n["manufacturer"] for n in found)
    prefix = await tenant_a.query(op("SearchProducts"), {"search": "Q41"})
    codes = [e["node"]["code"] for e in prefix["products"]["edges"]]
    assert codes and all(code.startswith("Q41") for code in codes)
    exact = await tenant_a.query(op("SearchProducts"), {"search": codes[-1]})
    assert exact["products"]["edges"][0]["node"]["code"] == codes[-1]
    page = await tenant_a.query(op("SearchProducts"), {"first": 2})
    after = page["products"]["pageInfo"]["endCursor"]
    rest = await tenant_a.query(op("SearchProducts"), {"first": 2, "after": after})
    assert not {e["node"]["id"] for e in page["products"]["edges"]} & {
        e["node"]["id"] for e in rest["products"]["edges"]
    }


async def test_reserve_stock_with_its_error_case(tenant_a):
    levels = await tenant_a.query("{ inventoryLevels(first: 50) { nodes { id available } } }")
    level = max(levels["inventoryLevels"]["nodes"], key=lambda n: n["available"])
    too_many = await tenant_a.query(
        op("ReserveStock"), {"input": {"levelId": level["id"], "quantity": level["available"] + 1}}
    )
    assert too_many["reserveStock"]["inventoryLevel"] is None
    assert [(e["field"], e["code"]) for e in too_many["reserveStock"]["errors"]] == [
        ("input.quantity", "INSUFFICIENT_STOCK")
    ]
    done = await tenant_a.query(op("ReserveStock"), {"input": {"levelId": level["id"], "quantity": 1}})
    assert done["reserveStock"]["inventoryLevel"]["available"] == level["available"] - 1


STOCK = """query($productId: ID) { inventoryLevels(first: 5, filter: {productId: $productId}) {
  nodes { onHand allocated available } } }"""


CHECKED = """query($id: ID!) { order(id: $id) { status version queueAction attentionReasons
  checks(first: 20) { nodes { checkKey outcome } } } }"""


async def _stock(tenant, product: str) -> tuple[int, int]:
    (level,) = (await tenant.query(STOCK, {"productId": product}))["inventoryLevels"]["nodes"]
    return level["onHand"], level["allocated"]


async def _order(tenant, name: str, values: dict, role: str = "owner") -> dict:
    """Run one of the order examples; its payload's order (it must have no errors)."""
    field = name[0].lower() + name[1:]
    payload = (await tenant.query(op(name), {"input": values}, role=role))[field]
    assert payload["errors"] == [], payload
    return payload["order"]


def _step(order: dict, **more: object) -> dict:
    return {"id": order["id"], "version": order["version"], **more}


async def test_an_order_through_the_examples(owner_engine, tenant_a, jobs_worker):
    orders_ops.WATCH["engine"] = owner_engine
    dressing = await make_product(owner_engine, tenant_a, price="200.00", stock=10)
    foam = await make_product(owner_engine, tenant_a, price="75.50", stock=10)
    since = dt.datetime.now(dt.UTC).isoformat()  # the tenant's demo orders are older
    parties = {
        "facilityId": facility(tenant_a),
        "providerId": provider(tenant_a),
        "patientId": patient(tenant_a),
    }

    # The provider starts a draft and completes it.
    order = await _order(
        tenant_a,
        "CreateOrder",
        {**parties, "serviceDate": delivery_date(15), "items": [{"productId": dressing, "quantity": 1}]},
        role="provider",
    )
    assert (order["status"], order["version"], order["totalAmount"]) == ("DRAFT", 1, "200.00")
    assert order["orderNumber"].startswith("ORD-") and order["facility"]["name"] == "One Main"
    assert order["items"]["nodes"][0]["lineTotal"] == "200.00"
    details = {"requestedDeliveryDate": delivery_date(), "shippingSpeed": "STANDARD_NEXT"}
    details |= {"woundLengthCm": "4.00", "woundWidthCm": "2.50", "placeOfService": "11"}
    order = await _order(tenant_a, "UpdateOrder", _step(order, **details), role="provider")
    assert order["version"] == 2 and order["woundAreaCm2"] == "10.00"
    stale = await tenant_a.query(op("UpdateOrder"), {"input": {"id": order["id"], "version": 1}})
    assert stale["updateOrder"]["order"] is None
    assert [(e["field"], e["code"]) for e in stale["updateOrder"]["errors"]] == [("input.version", "STALE")]
    order = await _order(
        tenant_a,
        "AddOrderItem",
        {"orderId": order["id"], "version": order["version"], "productId": foam, "quantity": 2},
        role="provider",
    )
    assert (order["totalAmount"], order["itemCount"]) == ("351.00", 2)
    assert [n["position"] for n in order["items"]["nodes"]] == [0, 1]
    lines = [(n["productName"], n["quantity"], n["lineTotal"]) for n in order["items"]["nodes"]]

    # Submitted, it answers at once; a worker runs its checks, which pass: it waits for an admin.
    order = await _order(tenant_a, "SubmitOrder", _step(order), role="provider")
    assert order["status"] == "SUBMITTED"
    order = await checked(tenant_a, order)
    order |= (await tenant_a.query(CHECKED, {"id": order["id"]}))["order"]
    assert (order["status"], order["queueAction"], order["attentionReasons"]) == (
        "PENDING_ADMIN_REVIEW",
        "REVIEW",
        [],
    )
    assert {c["checkKey"]: c["outcome"] for c in order["checks"]["nodes"]} == {
        "orders.items_orderable": "PASS",
        "orders.minimum_order_amount": "PASS",
        "orders.lead_time": "PASS",
        "orders.stock_available": "PASS",
    }

    # The admin approves it (stock reserved), the manufacturer takes it, it ships, it arrives.
    order = await _order(tenant_a, "ApproveOrder", _step(order), role="admin")
    assert order["status"] == "APPROVED" and order["reviewedAt"]
    assert await _stock(tenant_a, dressing) == (10, 1) and await _stock(tenant_a, foam) == (10, 2)
    order = await _order(
        tenant_a, "MarkSubmittedToManufacturer", _step(order, reason="Sent by EDI"), role="manager"
    )
    assert (order["status"], order["queueAction"]) == ("SUBMITTED_TO_MANUFACTURER", "TRACK")
    assert order["statusReason"] == "Sent by EDI"
    order = await _order(tenant_a, "ConfirmOrder", _step(order), role="manager")
    assert order["status"] == "CONFIRMED" and order["confirmedAt"]
    shipment = {"orderId": order["id"], "version": order["version"], "carrier": "UPS"}
    shipment["trackingNumber"] = "1Z999AA10123456784"
    order = await _order(tenant_a, "RecordShipment", shipment, role="manager")
    assert order["status"] == "SHIPPED"
    assert [(s["carrier"], s["deliveredAt"]) for s in order["shipments"]["nodes"]] == [("UPS", None)]
    assert await _stock(tenant_a, dressing) == (9, 0) and await _stock(tenant_a, foam) == (8, 0)
    order = await _order(tenant_a, "MarkDelivered", _step(order), role="manager")
    assert order["status"] == "DELIVERED" and order["closedAt"]
    assert order["actualDeliveryDate"] and order["shipments"]["nodes"][0]["deliveredAt"]
    delivered = order

    # A second order is rejected at review.
    second = await _order(
        tenant_a,
        "CreateOrder",
        {
            **parties,
            "requestedDeliveryDate": delivery_date(),
            "items": [{"productId": dressing, "quantity": 1}],
        },
    )
    number = second["orderNumber"]
    second = await checked(tenant_a, await _order(tenant_a, "SubmitOrder", _step(second)))
    assert second["status"] == "PENDING_ADMIN_REVIEW"
    second = await _order(tenant_a, "RejectOrder", _step(second, reason="Duplicate of an earlier order"))
    assert (second["status"], second["statusReason"]) == ("REJECTED", "Duplicate of an earlier order")

    # A third is approved, then cancelled: its reserved stock comes back.
    third = await _order(
        tenant_a,
        "CreateOrder",
        {**parties, "requestedDeliveryDate": delivery_date(), "items": [{"productId": foam, "quantity": 3}]},
    )
    third = await checked(tenant_a, await _order(tenant_a, "SubmitOrder", _step(third)))
    third = await _order(tenant_a, "ApproveOrder", _step(third))
    assert await _stock(tenant_a, foam) == (8, 3)
    no_reason = await tenant_a.query(op("CancelOrder"), {"input": _step(third)})
    assert [(e["field"], e["code"]) for e in no_reason["cancelOrder"]["errors"]] == [
        ("input.reason", "REQUIRED")
    ]
    third = await _order(
        tenant_a, "CancelOrder", _step(third, reason="Patient changed plans"), role="provider"
    )
    assert third["status"] == "CANCELLED" and third["closedAt"]
    assert await _stock(tenant_a, foam) == (8, 0)
    late = await tenant_a.query(op("CancelOrder"), {"input": _step(delivered, reason="Too late")})
    assert [(e["field"], e["code"]) for e in late["cancelOrder"]["errors"]] == [("id", "ILLEGAL_TRANSITION")]

    # The list: newest first, with items, history and shipments; filtered by status.
    listed = (await tenant_a.query(op("Orders"), {"createdSince": since}))["orders"]
    assert listed["totalCount"] == 3
    assert [n["id"] for n in listed["nodes"]] == [third["id"], second["id"], delivered["id"]]
    first = listed["nodes"][2]
    assert [(n["productName"], n["quantity"], n["lineTotal"]) for n in first["items"]["nodes"]] == lines
    history = [(h["fromStatus"], h["toStatus"], h["reason"]) for h in first["statusHistory"]["nodes"]]
    assert history == [
        (None, "DRAFT", None),
        ("DRAFT", "SUBMITTED", None),
        ("SUBMITTED", "PENDING_ADMIN_REVIEW", None),
        ("PENDING_ADMIN_REVIEW", "APPROVED", None),
        ("APPROVED", "SUBMITTED_TO_MANUFACTURER", "Sent by EDI"),
        ("SUBMITTED_TO_MANUFACTURER", "CONFIRMED", None),
        ("CONFIRMED", "SHIPPED", None),
        ("SHIPPED", "DELIVERED", None),
    ]
    assert first["shipments"]["nodes"][0]["trackingNumber"] == "1Z999AA10123456784"
    closed = await tenant_a.query(
        op("Orders"), {"statuses": ["REJECTED", "CANCELLED"], "createdSince": since}
    )
    assert [n["status"] for n in closed["orders"]["nodes"]] == ["CANCELLED", "REJECTED"]
    by_number = await tenant_a.query(op("Orders"), {"orderNumber": number.lower()})
    assert [n["id"] for n in by_number["orders"]["nodes"]] == [second["id"]]

    # The queue (the tenant's demo orders are in it too): none of these three is; a fourth
    # order, submitted, comes first among those to review.
    queue = await tenant_a.query(op("AdminOrderQueue"), {"first": 100}, role="admin")
    queued = queue["adminOrderQueue"]["nodes"]
    assert {n["status"] for n in queued} <= {"PENDING_ADMIN_REVIEW", "SUBMITTED_TO_MANUFACTURER", "SHIPPED"}
    assert not {n["id"] for n in queued} & {delivered["id"], second["id"], third["id"]}
    fourth = await _order(
        tenant_a,
        "CreateOrder",
        {
            **parties,
            "requestedDeliveryDate": delivery_date(),
            "items": [{"productId": dressing, "quantity": 1}],
        },
    )
    fourth = await checked(tenant_a, await _order(tenant_a, "SubmitOrder", _step(fourth)))
    queue = await tenant_a.query(op("AdminOrderQueue"), {"actions": ["REVIEW"]}, role="admin")
    waiting = queue["adminOrderQueue"]["nodes"]
    assert waiting[0]["id"] == fourth["id"] and {n["queueAction"] for n in waiting} == {"REVIEW"}
    assert [c["outcome"] for c in waiting[0]["checks"]["nodes"]] == ["PASS"] * 4
