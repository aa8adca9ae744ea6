"""What the other tests leave out: the order list's date filters, number and ordering; an
item's size changed on a draft (its price follows the size's area); sales reps changed,
deactivated and kept out of loops however deep the hierarchy."""

from __future__ import annotations

import datetime as dt
import uuid

from tests.orders.order_state import make_size
from tests.orders.orders_ops import CREATE, UPDATE_ITEM, delivery_date, draft_input, make_product, ok

LIST = """query($filter: OrderFilter, $orderBy: OrderOrder) { orders(first: 50, filter: $filter, orderBy: $orderBy) {
  totalCount nodes { orderNumber serviceDate totalAmount } } }"""
REP = "salesRep { id name status parent { id } } errors { field code message }"
CREATE_REP = f"mutation($input: SalesRepInput!) {{ createSalesRep(input: $input) {{ {REP} }} }}"
UPDATE_REP = f"mutation($input: UpdateSalesRepInput!) {{ updateSalesRep(input: $input) {{ {REP} }} }}"
DEACTIVATE_REP = (
    f"mutation($input: DeactivateSalesRepInput!) {{ deactivateSalesRep(input: $input) {{ {REP} }} }}"
)


async def _orders(tenant, **filter) -> list[dict]:
    return (await tenant.query(LIST, {"filter": filter}))["orders"]["nodes"]


async def test_the_order_list_filters_by_dates_and_number_and_sorts_by_total(owner_engine, tenant_a):
    product = await make_product(owner_engine, tenant_a, price="10.00")
    since = dt.datetime.now(dt.UTC).isoformat()
    made = []
    for days, quantity in ((20, 3), (40, 1), (60, 2)):
        values = draft_input(tenant_a, product, quantity, serviceDate=delivery_date(days))
        made.append(await ok(tenant_a, CREATE, "createOrder", values))
    until = dt.datetime.now(dt.UTC).isoformat()
    numbers = [o["orderNumber"] for o in made]

    ours = {"createdSince": since, "createdUntil": until}
    assert sorted(o["orderNumber"] for o in await _orders(tenant_a, **ours)) == numbers
    window = await _orders(
        tenant_a, **ours, serviceDateFrom=delivery_date(30), serviceDateTo=delivery_date(60)
    )
    assert sorted(o["orderNumber"] for o in window) == numbers[1:]
    assert await _orders(tenant_a, createdUntil=since, orderNumber=numbers[0]) == []
    found = await _orders(tenant_a, orderNumber=numbers[2].lower())
    assert [o["orderNumber"] for o in found] == [numbers[2]]
    by_total = await tenant_a.query(
        LIST, {"filter": ours, "orderBy": {"field": "TOTAL", "direction": "DESC"}}
    )
    assert [o["totalAmount"] for o in by_total["orders"]["nodes"]] == ["30.00", "20.00", "10.00"]


async def test_a_drafts_item_takes_another_size_and_its_price(owner_engine, tenant_a):
    sheet = await make_product(owner_engine, tenant_a, price="90.00")
    small = await make_size(owner_engine, tenant_a, sheet, "small")  # 4 cm², unpriced by area: the ASP
    order = await ok(tenant_a, CREATE, "createOrder", draft_input(tenant_a, sheet, 1))
    item = order["items"]["nodes"][0]
    changed = await ok(
        tenant_a,
        UPDATE_ITEM,
        "updateOrderItem",
        {"id": item["id"], "version": order["version"], "sizeId": small},
    )
    (now,) = changed["items"]["nodes"]
    assert (now["sizeLabel"], now["unitPrice"], changed["version"]) == (
        "small",
        "90.00",
        order["version"] + 1,
    )


async def _rep(tenant, **values) -> dict:
    payload = (await tenant.query(CREATE_REP, {"input": {"name": f"Rep {uuid.uuid4().hex[:6]}", **values}}))[
        "createSalesRep"
    ]
    assert payload["errors"] == [], payload
    return payload["salesRep"]  # type: ignore[no-any-return]


async def test_sales_reps_are_changed_deactivated_and_kept_out_of_loops(tenant_a):
    top = await _rep(tenant_a)
    middle = await _rep(tenant_a, parentRepId=top["id"])
    bottom = await _rep(tenant_a, parentRepId=middle["id"])
    moved = (await tenant_a.query(UPDATE_REP, {"input": {"id": bottom["id"], "name": "Renamed"}}))[
        "updateSalesRep"
    ]
    assert moved["errors"] == [] and moved["salesRep"]["name"] == "Renamed"
    assert moved["salesRep"]["parent"] == {"id": middle["id"]}

    # The top rep under its grandchild would close a loop two levels down.
    loop = (await tenant_a.query(UPDATE_REP, {"input": {"id": top["id"], "parentRepId": bottom["id"]}}))[
        "updateSalesRep"
    ]
    assert loop["salesRep"] is None
    assert [(e["field"], e["code"]) for e in loop["errors"]] == [("input.parentRepId", "CYCLE")]

    gone = (await tenant_a.query(DEACTIVATE_REP, {"input": {"id": bottom["id"]}}))["deactivateSalesRep"]
    assert gone["errors"] == [] and gone["salesRep"]["status"] == "INACTIVE"
    again = (await tenant_a.query(DEACTIVATE_REP, {"input": {"id": bottom["id"]}}))["deactivateSalesRep"]
    assert again["errors"] == [] and again["salesRep"]["status"] == "INACTIVE"
    under_gone = (await tenant_a.query(CREATE_REP, {"input": {"name": "New", "parentRepId": bottom["id"]}}))[
        "createSalesRep"
    ]
    assert [(e["field"], e["code"]) for e in under_gone["errors"]] == [("input.parentRepId", "INACTIVE")]
