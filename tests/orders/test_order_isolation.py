"""Orders are isolated between tenants (tenant B's orders, items, history, shipments,
checks and sales reps are invisible and untouchable to tenant A, whatever the role), and
narrowed inside a tenant: a provider or facility manager sees and changes only the orders
of their facility (facility 0), a manager all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from schema.relay import to_global_id
from tests.orders.orders_ops import (
    ADD_ITEM,
    CREATE,
    MARK_DELIVERED,
    RECORD_SHIPMENT,
    REMOVE_ITEM,
    STEP,
    UPDATE,
    UPDATE_ITEM,
    draft_input,
    facility,
    make_product,
    maker,
    ok,
    organization,
    patient,
    provider,
    refused,
    run,
    step,
)

KINDS = ("pending", "shipped", "attention")
CHILDREN = ("items", "statusHistory", "shipments", "checks")
ROLES = ("owner", "manager", "viewer", "provider", "facility_manager")
NARROWED = ("provider", "facility_manager")
QUEUED = ("PENDING_ADMIN_REVIEW", "SUBMITTED_TO_MANUFACTURER", "SHIPPED")
REP = "salesRep { id name } errors { field code message }"
CREATE_REP = f"mutation($input: SalesRepInput!) {{ createSalesRep(input: $input) {{ {REP} }} }}"
UPDATE_REP = f"mutation($input: UpdateSalesRepInput!) {{ updateSalesRep(input: $input) {{ {REP} }} }}"
DEACTIVATE_REP = (
    f"mutation($input: DeactivateSalesRepInput!) {{ deactivateSalesRep(input: $input) {{ {REP} }} }}"
)
SUB = "items(first: 20) { nodes { id } } statusHistory(first: 20) { nodes { id } } " + (
    "shipments(first: 5) { nodes { id } } checks(first: 20) { nodes { id } }"
)
LISTS = f"""query($f: OrderFilter, $q: QueueFilter) {{
  orders(first: 100, filter: $f) {{ totalCount nodes {{ id version status totalAmount itemCount
    facility {{ id }} salesRep {{ id }} {SUB} }} }}
  adminOrderQueue(first: 100, filter: $q) {{ totalCount nodes {{ id }} }}
  salesReps(first: 20) {{ totalCount nodes {{ id name orders(first: 20) {{ totalCount nodes {{ id }} }} }} }} }}"""
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
NODE = "query($id: ID!) { node(id: $id) { id } order(id: $id) { id } }"


@dataclass
class World:
    """One tenant as its owner sees it: every order (with its facility, status and its
    children's IDs) and sales rep; and what the test made there: `made[(facility, kind)]`
    and a sales rep (on both pending orders)."""

    tenant: Any
    made: dict[tuple[int, str], dict[str, Any]]
    rep: str
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    reps: set[str] = field(default_factory=set)

    def order_ids(self, where: int | None = None) -> set[str]:
        at = None if where is None else facility(self.tenant, where)
        return {i for i, o in self.orders.items() if at is None or o["facility"]["id"] == at}

    def kids(self, order: dict[str, Any], connection: str) -> list[str]:
        return [n["id"] for n in self.orders[order["id"]][connection]["nodes"]]

    def child_ids(self, where: int | None = None) -> set[str]:
        return {i for o in self.order_ids(where) for c in CHILDREN for i in self.kids({"id": o}, c)}

    def queued(self, where: int | None = None) -> set[str]:
        return {i for i in self.order_ids(where) if self.orders[i]["status"] in QUEUED}

    def all_ids(self, where: int | None = None) -> set[str]:
        return self.order_ids(where) | self.child_ids(where) | (self.reps if where is None else set())


async def _order(owner_engine: Any, tenant: Any, where: int, kind: str, rep: str) -> dict[str, Any]:
    stock, quantity = (1, 3) if kind == "attention" else (10, 2)  # too little stock: a check fails
    product = await make_product(owner_engine, tenant, stock=stock)
    parties = {"facilityId": facility(tenant, where), "providerId": provider(tenant, where)}
    parties |= {"patientId": patient(tenant, where), "salesRepId": rep if kind == "pending" else None}
    order = await ok(tenant, CREATE, "createOrder", draft_input(tenant, product, quantity, **parties))
    order = await step(tenant, "submitOrder", order)
    if kind == "shipped":
        for name in ("approveOrder", "markSubmittedToManufacturer", "confirmOrder"):
            order = await step(tenant, name, order)
        shipment = {"orderId": order["id"], "version": order["version"], "carrier": "UPS"}
        order = await ok(tenant, RECORD_SHIPMENT, "recordShipment", shipment | {"trackingNumber": "1Z1"})
    expected = {"pending": "PENDING_ADMIN_REVIEW", "shipped": "SHIPPED", "attention": "NEEDS_ATTENTION"}
    assert order["status"] == expected[kind], order["attentionReasons"]
    return order


async def _world(owner_engine: Any, tenant: Any) -> World:
    made = (await tenant.query(CREATE_REP, {"input": {"name": f"Rep {tenant.slug}"}}))["createSalesRep"]
    assert made["errors"] == [], made
    rep = made["salesRep"]["id"]
    orders = {(w, k): await _order(owner_engine, tenant, w, k, rep) for w in (0, 1) for k in KINDS}
    world = World(tenant, orders, rep)
    data = await tenant.query(LISTS)
    world.orders = {o["id"]: o for o in data["orders"]["nodes"]}
    world.reps = {r["id"] for r in data["salesReps"]["nodes"]}
    assert len(world.orders) == data["orders"]["totalCount"] and rep in world.reps
    for where in (0, 1):
        assert world.kids(orders[(where, "shipped")], "shipments")
        assert world.kids(orders[(where, "attention")], "checks")
    return world


async def _nodes(tenant: Any, ids: set[str], role: str) -> dict[str, Any]:
    """Each ID and what `nodes` answers for it (in pages of 100, the most it takes)."""
    ordered, found = sorted(ids), []
    for start in range(0, len(ordered), 100):
        page = ordered[start : start + 100]
        found += (await tenant.query(NODES, {"ids": page}, role=role))["nodes"]
    return dict(zip(ordered, found, strict=True))


@pytest.fixture
async def worlds(owner_engine, tenant_a, tenant_b) -> tuple[World, World]:
    return await _world(owner_engine, tenant_a), await _world(owner_engine, tenant_b)


def _seen(data: dict[str, Any]) -> tuple[set[str], set[str], set[str], set[str]]:
    """Orders, their children, queued orders and sales reps (with their orders) in LISTS."""
    orders = data["orders"]["nodes"]
    children = {n["id"] for o in orders for c in CHILDREN for n in o[c]["nodes"]}
    reps = data["salesReps"]["nodes"]
    rep_orders = {n["id"] for r in reps for n in r["orders"]["nodes"]}
    queue = {n["id"] for n in data["adminOrderQueue"]["nodes"]}
    assert data["orders"]["totalCount"] == len(orders)
    assert data["adminOrderQueue"]["totalCount"] == len(queue)
    return {o["id"] for o in orders} | rep_orders, children, queue, {r["id"] for r in reps}


async def test_tenant_a_never_sees_tenant_b_orders(tenant_a, worlds):
    mine, theirs = worlds
    for role in ROLES:
        visible = 0 if role in NARROWED else None
        orders, children, queue, reps = _seen(await tenant_a.query(LISTS, role=role))
        assert orders == mine.order_ids(visible), role
        assert children == mine.child_ids(visible), role
        assert queue == mine.queued(visible), role
        assert mine.rep in reps and reps <= mine.reps, role
        assert not (orders | children | queue | reps) & theirs.all_ids(), role

        hidden = await _nodes(tenant_a, theirs.all_ids(), role)
        assert set(hidden.values()) == {None}, role
        for order in theirs.made.values():
            assert await tenant_a.query(NODE, {"id": order["id"]}, role=role) == {"node": None, "order": None}


async def test_filters_naming_tenant_b_find_nothing(tenant_a, tenant_b, worlds):
    _, theirs = worlds
    b = tenant_b
    maker_b = to_global_id("Manufacturer", maker(b))
    filters = [
        {"facilityId": facility(b, 0)},
        {"facilityId": facility(b, 1)},
        {"organizationId": organization(b)},
        {"providerId": provider(b, 0)},
        {"patientId": patient(b, 0)},
        {"patientId": patient(b, 1)},
        {"salesRepId": theirs.rep},
        {"manufacturerId": maker_b},
    ]
    for role in ROLES:
        for f in filters:
            data = await tenant_a.query(LISTS, {"f": f, "q": {"facilityId": f.get("facilityId")}}, role=role)
            assert data["orders"] == {"totalCount": 0, "nodes": []}, (role, f)
            if "facilityId" in f:
                assert data["adminOrderQueue"] == {"totalCount": 0, "nodes": []}, (role, f)


async def _snapshot(tenant: Any) -> dict[str, Any]:
    return await tenant.query(LISTS)


async def test_tenant_a_cannot_change_tenant_b_orders(owner_engine, tenant_a, tenant_b, worlds):
    mine, theirs = worlds
    before = await _snapshot(tenant_b)
    a = tenant_a
    attention, shipped, pending = (theirs.made[(0, k)] for k in ("attention", "shipped", "pending"))
    item = theirs.kids(attention, "items")[0]
    shipment = theirs.kids(shipped, "shipments")[0]
    product = await make_product(owner_engine, tenant_b)

    def at(order: dict[str, Any], **more: Any) -> dict[str, Any]:
        return {"id": order["id"], "version": order["version"], **more}

    attempts = [
        (UPDATE, "updateOrder", at(attention, notes="mine"), "id"),
        (
            ADD_ITEM,
            "addOrderItem",
            {
                "orderId": attention["id"],
                "version": attention["version"],
                "productId": await make_product(owner_engine, a),
                "quantity": 1,
            },
            "input.orderId",
        ),
        (UPDATE_ITEM, "updateOrderItem", {"id": item, "version": attention["version"], "quantity": 1}, "id"),
        (REMOVE_ITEM, "removeOrderItem", {"id": item, "version": attention["version"]}, "id"),
        (STEP["submitOrder"], "submitOrder", at(attention), "id"),
        (STEP["approveOrder"], "approveOrder", at(pending), "id"),
        (STEP["rejectOrder"], "rejectOrder", at(pending, reason="no"), "id"),
        (STEP["cancelOrder"], "cancelOrder", at(pending, reason="no"), "id"),
        (STEP["markSubmittedToManufacturer"], "markSubmittedToManufacturer", at(pending), "id"),
        (STEP["confirmOrder"], "confirmOrder", at(pending), "id"),
        (
            RECORD_SHIPMENT,
            "recordShipment",
            {"orderId": shipped["id"], "version": shipped["version"], "carrier": "UPS"},
            "input.orderId",
        ),
        (MARK_DELIVERED, "markDelivered", at(shipped, shipmentId=shipment), "id"),
        (
            CREATE,
            "createOrder",
            draft_input(a, await make_product(owner_engine, a), facilityId=facility(tenant_b)),
            "input.facilityId",
        ),
        (CREATE, "createOrder", draft_input(a, product), "input.items.0.productId"),
        (CREATE, "createOrder", draft_input(a, providerId=provider(tenant_b)), "input.providerId"),
        (CREATE, "createOrder", draft_input(a, patientId=patient(tenant_b)), "input.patientId"),
        (CREATE, "createOrder", draft_input(a, salesRepId=theirs.rep), "input.salesRepId"),
    ]
    for operation, name, values, path in attempts:
        assert await refused(a, operation, name, values) == {(path, "NOT_FOUND")}, name
    # A's own shipped order, delivered by B's shipment: that shipment is not one of A's.
    own = mine.made[(0, "shipped")]
    got = await refused(a, MARK_DELIVERED, "markDelivered", at(own, shipmentId=shipment))
    assert got == {("input.shipmentId", "NOT_FOUND")}
    for operation, name, values, path in [
        (UPDATE_REP, "updateSalesRep", {"id": theirs.rep, "name": "Taken"}, "id"),
        (DEACTIVATE_REP, "deactivateSalesRep", {"id": theirs.rep}, "id"),
        (CREATE_REP, "createSalesRep", {"name": "Child", "parentRepId": theirs.rep}, "input.parentRepId"),
    ]:
        payload = (await a.query(operation, {"input": values}))[name]
        assert payload["salesRep"] is None and {(e["field"], e["code"]) for e in payload["errors"]} == {
            (path, "NOT_FOUND")
        }, (name, payload)
    assert await _snapshot(tenant_b) == before


async def test_narrowed_roles_see_only_their_facility(tenant_a, worlds):
    mine, _ = worlds
    other = {"f": {"facilityId": facility(tenant_a, 1)}, "q": {"facilityId": facility(tenant_a, 1)}}
    for role in NARROWED:
        here = mine.all_ids(0) | mine.reps
        found = await _nodes(tenant_a, here, role)
        assert {i: n and n["id"] for i, n in found.items()} == {i: i for i in here}, role
        elsewhere = mine.all_ids() - here
        assert elsewhere >= mine.all_ids(1) and mine.all_ids(1), role
        assert set((await _nodes(tenant_a, elsewhere, role)).values()) == {None}, role
        for kind in KINDS:
            order = mine.made[(1, kind)]["id"]
            assert await tenant_a.query(NODE, {"id": order}, role=role) == {"node": None, "order": None}
        data = await tenant_a.query(LISTS, other, role=role)
        assert data["orders"]["totalCount"] == data["adminOrderQueue"]["totalCount"] == 0, role
        reps = {r["id"]: r["orders"] for r in data["salesReps"]["nodes"]}
        assert reps[mine.rep]["nodes"] == [{"id": mine.made[(0, "pending")]["id"]}], role
    data = await tenant_a.query(LISTS, other, role="manager")
    assert {o["id"] for o in data["orders"]["nodes"]} == mine.order_ids(1)
    assert {o["id"] for o in data["adminOrderQueue"]["nodes"]} == mine.queued(1)
    assert {r["id"]: r["orders"]["totalCount"] for r in data["salesReps"]["nodes"]}[mine.rep] == 2


@pytest.mark.parametrize("role", NARROWED)
async def test_narrowed_roles_cannot_order_or_change_at_another_facility(
    owner_engine, tenant_a, worlds, role
):
    mine, _ = worlds
    a = tenant_a
    before = await _snapshot(a)
    product = await make_product(owner_engine, a)
    at_one = {"facilityId": facility(a, 1), "providerId": provider(a, 1), "patientId": patient(a, 1)}
    got = await refused(a, CREATE, "createOrder", draft_input(a, product, **at_one), role)
    assert got == {("input.facilityId", "NOT_FOUND")}
    attention, pending = mine.made[(1, "attention")], mine.made[(1, "pending")]
    item = mine.kids(attention, "items")[0]
    version = attention["version"]
    attempts = [
        (UPDATE, "updateOrder", {"id": attention["id"], "version": version, "notes": "x"}, "id"),
        (
            ADD_ITEM,
            "addOrderItem",
            {"orderId": attention["id"], "version": version, "productId": product, "quantity": 1},
            "input.orderId",
        ),
        (UPDATE_ITEM, "updateOrderItem", {"id": item, "version": version, "quantity": 1}, "id"),
        (REMOVE_ITEM, "removeOrderItem", {"id": item, "version": version}, "id"),
        (STEP["submitOrder"], "submitOrder", {"id": attention["id"], "version": version}, "id"),
        (
            STEP["cancelOrder"],
            "cancelOrder",
            {"id": pending["id"], "version": pending["version"], "reason": "no"},
            "id",
        ),
        (
            STEP["cancelOrder"],
            "cancelOrder",
            {"id": attention["id"], "version": version, "reason": "x"},
            "id",
        ),
    ]
    for operation, name, values, path in attempts:
        assert await refused(a, operation, name, values, role) == {(path, "NOT_FOUND")}, (role, name)
    # Moving their own order to the other facility is refused too, and leaves it where it was.
    own = mine.made[(0, "attention")]
    moved = {"id": own["id"], "version": own["version"], **at_one}
    assert await refused(a, UPDATE, "updateOrder", moved, role) == {("input.facilityId", "NOT_FOUND")}
    assert await _snapshot(a) == before
    # At their own facility, the same caller may order, and change and cancel its orders.
    order = await ok(a, CREATE, "createOrder", draft_input(a, product), role)
    changed = await run(a, UPDATE, "updateOrder", {"id": order["id"], "version": 1, "notes": "ok"}, role)
    assert changed["errors"] == [], changed
    cancelled = await step(a, "cancelOrder", changed["order"], role, reason="changed my mind")
    assert cancelled["status"] == "CANCELLED"
