"""Inventory writes through GraphQL: locations, levels, every kind of stock movement with its
audit row and events, bad input refused with typed errors that change nothing, idempotent
references, concurrent reservations that never oversell, and permissions."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa

from app.audit import Actor
from app.db import tenant_transaction
from app.settings import get_settings
from modules.products import models as m
from modules.products.service import inventory
from schema.relay import from_global_id, to_global_id

ERRORS = "errors { field code message }"
LEVEL_FIELDS = "id onHand allocated available lastCountedAt"
CREATE_LOCATION = f"""mutation($input: InventoryLocationInput!) {{ createInventoryLocation(input: $input) {{
  inventoryLocation {{ id name type }} {ERRORS} }} }}"""
CREATE_LEVEL = f"""mutation($input: InventoryLevelInput!) {{ createInventoryLevel(input: $input) {{
  inventoryLevel {{ {LEVEL_FIELDS} reorderPoint }} {ERRORS} }} }}"""
LEVEL = f"query($id: ID!) {{ node(id: $id) {{ ... on InventoryLevel {{ {LEVEL_FIELDS} }} }} }}"
MOVEMENTS = """query($id: ID!) { stockMovements(levelId: $id, first: 100, orderBy: {direction: ASC}) {
  totalCount nodes { kind onHandChange allocatedChange onHandAfter allocatedAfter reason reference } } }"""


def _move(mutation: str, input_type: str = "StockQuantityInput") -> str:
    return f"""mutation($input: {input_type}!) {{ {mutation}(input: $input) {{
      inventoryLevel {{ {LEVEL_FIELDS} }} {ERRORS} }} }}"""


async def _product(owner_engine, tenant) -> str:
    """A product to stock, inserted as the database owner inside the tenant's context, so
    these tests do not depend on the catalog's mutations."""
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        pk = await conn.scalar(
            sa.insert(m.products)
            .values(tenant_id=tenant.id, name="Collagen dressing", sku=f"SKU-{uuid.uuid4().hex[:8]}")
            .returning(m.products.c.id)
        )
    return to_global_id("Product", pk)


async def _location(tenant, name: str | None = None) -> str:
    data = await tenant.query(
        CREATE_LOCATION, {"input": {"name": name or f"Main {uuid.uuid4().hex[:6]}", "type": "WAREHOUSE"}}
    )
    payload = data["createInventoryLocation"]
    assert payload["errors"] == [], payload
    return payload["inventoryLocation"]["id"]


async def _level(owner_engine, tenant, *, on_hand: int = 0, reorder_point: int = 0) -> tuple[str, str]:
    """A fresh level (and its location) holding `on_hand`: (level id, location id)."""
    location = await _location(tenant)
    product = await _product(owner_engine, tenant)
    data = await tenant.query(
        CREATE_LEVEL,
        {"input": {"productId": product, "locationId": location, "reorderPoint": reorder_point}},
    )
    assert data["createInventoryLevel"]["errors"] == [], data
    level = data["createInventoryLevel"]["inventoryLevel"]["id"]
    if on_hand:
        await _ok(tenant, "receiveStock", {"levelId": level, "quantity": on_hand})
    return level, location


async def _ok(tenant, mutation: str, values: dict, input_type: str = "StockQuantityInput") -> dict:
    payload = (await tenant.query(_move(mutation, input_type), {"input": values}))[mutation]
    assert payload["errors"] == [], payload
    return payload["inventoryLevel"]


async def _refused(tenant, mutation: str, values: dict, input_type: str = "StockQuantityInput") -> set:
    payload = (await tenant.query(_move(mutation, input_type), {"input": values}))[mutation]
    assert payload["inventoryLevel"] is None, payload
    return {(e["field"], e["code"]) for e in payload["errors"]}


async def _numbers(tenant, level: str) -> tuple[int, int, int]:
    node = (await tenant.query(LEVEL, {"id": level}))["node"]
    return (
        node["onHand"],
        node["allocated"],
        (await tenant.query(MOVEMENTS, {"id": level}))["stockMovements"]["totalCount"],
    )


async def _events(owner_engine, tenant, level: str) -> list[tuple[str, dict]]:
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT type, payload FROM domain_events WHERE entity_id = :id ORDER BY sequence, created_at"
            ),
            {"id": from_global_id(level)[1]},
        )
        return [(row.type, row.payload) for row in rows]


async def test_stock_lifecycle_is_made_of_movements_audit_rows_and_events(tenant_a, owner_engine):
    level, _ = await _level(owner_engine, tenant_a)
    steps = [
        ("receiveStock", {"quantity": 10}, (10, 0)),
        ("reserveStock", {"quantity": 4, "reference": "order-1"}, (10, 4)),
        ("releaseStock", {"quantity": 1}, (10, 3)),
        ("shipStock", {"quantity": 3}, (7, 0)),
        ("returnStock", {"quantity": 1}, (8, 0)),
        ("adjustStock", {"change": -1, "reason": "Damaged in transit"}, (7, 0)),
        ("countStock", {"counted": 5, "reason": "Cycle count"}, (5, 0)),
    ]
    for mutation, values, (on_hand, allocated) in steps:
        input_type = {"adjustStock": "AdjustStockInput", "countStock": "CountStockInput"}.get(
            mutation, "StockQuantityInput"
        )
        after = await _ok(tenant_a, mutation, {"levelId": level, **values}, input_type)
        assert (after["onHand"], after["allocated"], after["available"]) == (
            on_hand,
            allocated,
            on_hand - allocated,
        ), mutation
        assert (after["lastCountedAt"] is not None) == (mutation == "countStock")

    movements = (await tenant_a.query(MOVEMENTS, {"id": level}))["stockMovements"]["nodes"]
    assert [(mv["kind"], mv["onHandChange"], mv["allocatedChange"]) for mv in movements] == [
        ("RECEIPT", 10, 0),
        ("RESERVATION", 0, 4),
        ("RELEASE", 0, -1),
        ("SHIPMENT", -3, -3),
        ("RETURN", 1, 0),
        ("ADJUSTMENT", -1, 0),
        ("ADJUSTMENT", -2, 0),
    ]
    assert sum(mv["onHandChange"] for mv in movements) == 5
    assert sum(mv["allocatedChange"] for mv in movements) == 0
    assert (movements[-1]["onHandAfter"], movements[-1]["allocatedAfter"]) == (5, 0)
    assert movements[1]["reference"] == "order-1" and movements[5]["reason"] == "Damaged in transit"

    audit = await tenant_a.query(
        "query($id: ID!) { auditLog(filter: {entityId: $id}, orderBy: {field: CREATED_AT, direction: ASC}) "
        "{ nodes { action changes actor { email } } } }",
        {"id": level},
    )
    entries = audit["auditLog"]["nodes"]
    assert [e["action"] for e in entries] == [
        "inventorylevel.create",
        "stock.receipt",
        "stock.reservation",
        "stock.release",
        "stock.shipment",
        "stock.return",
        "stock.adjustment",
        "stock.count",
    ]
    assert (
        entries[-1]["changes"]["before"]["on_hand"] == 7 and entries[-1]["changes"]["after"]["on_hand"] == 5
    )
    assert entries[1]["actor"]["email"] == tenant_a.email("owner")

    events = await _events(owner_engine, tenant_a, level)
    assert [kind for kind, _ in events] == ["stock.changed"] * 7  # never fell to the reorder point (0)
    assert events[0][1]["kind"] == "receipt" and events[0][1]["on_hand"] == 10
    assert events[-1][1] | {"product_id": None, "location_id": None} == {
        "product_id": None,
        "location_id": None,
        "kind": "adjustment",
        "on_hand": 5,
        "allocated": 0,
        "available": 5,
    }


async def test_bad_input_gets_typed_errors_and_changes_nothing(tenant_a, tenant_b, owner_engine):
    level, location = await _level(owner_engine, tenant_a, on_hand=5)
    await _ok(tenant_a, "reserveStock", {"levelId": level, "quantity": 2})
    theirs, _ = await _level(owner_engine, tenant_b, on_hand=3)
    before = await _numbers(tenant_a, level)
    assert before == (5, 2, 2)

    assert await _refused(tenant_a, "receiveStock", {"levelId": level, "quantity": 0}) == {
        ("input.quantity", "INVALID")
    }
    assert await _refused(tenant_a, "reserveStock", {"levelId": level, "quantity": -3}) == {
        ("input.quantity", "NEGATIVE")
    }
    too_many = (await tenant_a.query(_move("reserveStock"), {"input": {"levelId": level, "quantity": 4}}))[
        "reserveStock"
    ]
    assert [(e["field"], e["code"]) for e in too_many["errors"]] == [("input.quantity", "INSUFFICIENT_STOCK")]
    assert "3 available" in too_many["errors"][0]["message"]
    for mutation in ("releaseStock", "shipStock"):
        assert await _refused(tenant_a, mutation, {"levelId": level, "quantity": 3}) == {
            ("input.quantity", "INSUFFICIENT_STOCK")
        }
    for unknown in (to_global_id("InventoryLevel", uuid.uuid4()), location, theirs):
        assert await _refused(tenant_a, "reserveStock", {"levelId": unknown, "quantity": 1}) == {
            ("input.levelId", "NOT_FOUND")
        }
    assert await _refused(tenant_a, "adjustStock", {"levelId": level, "change": -1}, "AdjustStockInput") == {
        ("input.reason", "REQUIRED")
    }
    assert await _refused(
        tenant_a, "adjustStock", {"levelId": level, "change": 0, "reason": "x"}, "AdjustStockInput"
    ) == {("input.change", "INVALID")}
    assert await _refused(
        tenant_a, "adjustStock", {"levelId": level, "change": -4, "reason": "lost"}, "AdjustStockInput"
    ) == {("input.change", "INSUFFICIENT_STOCK")}
    assert await _refused(tenant_a, "countStock", {"levelId": level, "counted": 1}, "CountStockInput") == {
        ("input.counted", "INSUFFICIENT_STOCK")
    }

    product = (await tenant_a.query(LEVEL.replace(LEVEL_FIELDS, "product { id }"), {"id": level}))["node"]
    duplicate = await tenant_a.query(
        CREATE_LEVEL, {"input": {"productId": product["product"]["id"], "locationId": location}}
    )
    assert {(e["field"], e["code"]) for e in duplicate["createInventoryLevel"]["errors"]} == {
        ("input.productId", "DUPLICATE")
    }
    negative = await tenant_a.query(
        CREATE_LEVEL,
        {
            "input": {
                "productId": await _product(owner_engine, tenant_a),
                "locationId": location,
                "reorderPoint": -1,
            }
        },
    )
    assert {(e["field"], e["code"]) for e in negative["createInventoryLevel"]["errors"]} == {
        ("input.reorderPoint", "NEGATIVE")
    }
    deactivate = await tenant_a.query(
        f"mutation($id: ID!) {{ deactivateInventoryLocation(id: $id) {{ inventoryLocation {{ id }} {ERRORS} }} }}",
        {"id": location},
    )
    assert [(e["field"], e["code"]) for e in deactivate["deactivateInventoryLocation"]["errors"]] == [
        ("id", "IN_USE")
    ]
    name = (
        await tenant_a.query(
            "query($id: ID!) { node(id: $id) { ... on InventoryLocation { name } } }", {"id": location}
        )
    )["node"]["name"]
    dup_name = await tenant_a.query(CREATE_LOCATION, {"input": {"name": name}})
    assert [(e["field"], e["code"]) for e in dup_name["createInventoryLocation"]["errors"]] == [
        ("input.name", "DUPLICATE")
    ]
    foreign_facility = await _facility(owner_engine, tenant_b)
    elsewhere = await tenant_a.query(
        CREATE_LOCATION, {"input": {"name": "Shelf", "facilityId": foreign_facility}}
    )
    assert [(e["field"], e["code"]) for e in elsewhere["createInventoryLocation"]["errors"]] == [
        ("input.facilityId", "NOT_FOUND")
    ]

    assert await _numbers(tenant_a, level) == before
    assert await _numbers(tenant_b, theirs) == (3, 0, 1)


async def _facility(owner_engine, tenant) -> str:
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        pk = await conn.scalar(sa.text("SELECT id FROM facilities ORDER BY name LIMIT 1"))
    return to_global_id("Facility", pk)


async def test_a_reservation_retried_with_its_reference_happens_once(tenant_a, owner_engine):
    level, _ = await _level(owner_engine, tenant_a, on_hand=5)
    for _ in range(2):
        after = await _ok(
            tenant_a, "reserveStock", {"levelId": level, "quantity": 2, "reference": "order-7:1"}
        )
        assert (after["onHand"], after["allocated"]) == (5, 2)
    await _ok(tenant_a, "reserveStock", {"levelId": level, "quantity": 1, "reference": "order-7:2"})
    assert await _numbers(tenant_a, level) == (5, 3, 3)  # the receipt and two reservations


async def test_a_concurrent_retry_that_loses_the_unique_index_race_changes_nothing(
    tenant_a, owner_engine, api_engine
):
    """Both retries pass the check for an earlier movement before either commits; the
    second waits on the level's row, then collides in `stock_movements_reference`, and its
    savepoint takes back its UPDATE. Called on two real connections of the API role."""
    level, _ = await _level(owner_engine, tenant_a, on_hand=5)
    pk, actor = from_global_id(level)[1], Actor(tenant_a.id, None)

    async def second():  # type: ignore[no-untyped-def]
        async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
            return await inventory.reserve_stock(conn, actor, pk, 2, "order-9:1")

    async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
        first = await inventory.reserve_stock(conn, actor, pk, 2, "order-9:1")
        task = asyncio.create_task(second())
        await _until_waiting_on_locks(owner_engine, 1)
    retried = await task
    assert (first.allocated, retried.allocated) == (2, 2)
    assert await _numbers(tenant_a, level) == (5, 2, 2)


async def _until_waiting_on_locks(owner_engine, count: int) -> None:
    """Until `count` connections of the API role wait on a lock (a row another holds)."""
    for _ in range(400):
        async with owner_engine.connect() as conn:
            waiting = await conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND usename = :role AND wait_event_type = 'Lock'"
                ),
                {"role": get_settings().api_db_role},
            )
        if waiting >= count:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"fewer than {count} connections waited on the level's row")


async def test_concurrent_reservations_never_oversell(tenant_a, owner_engine):
    """20 reservations of 1 race for 5 available, through the real app, concurrently: each
    request has its own connection and transaction. The level's row is held locked while
    they are sent, until at least 10 wait on it, so they truly overlap in the database."""
    level, _ = await _level(owner_engine, tenant_a, on_hand=5)
    await tenant_a.token()  # sign in once, not twenty times
    request = {"input": {"levelId": level, "quantity": 1}}
    async with tenant_transaction(owner_engine, str(tenant_a.id)) as holder:
        lock = sa.text("SELECT 1 FROM inventory_levels WHERE id = :id FOR UPDATE")
        await holder.execute(lock, {"id": from_global_id(level)[1]})
        tasks = [asyncio.create_task(tenant_a.raw(_move("reserveStock"), request)) for _ in range(20)]
        await _until_waiting_on_locks(owner_engine, 10)
    answers = [result["data"]["reserveStock"] for result in await asyncio.gather(*tasks)]
    won = [a for a in answers if a["errors"] == []]
    lost = [a for a in answers if a["errors"]]
    assert len(won) == 5 and len(lost) == 15
    assert all(
        [(e["field"], e["code"]) for e in a["errors"]] == [("input.quantity", "INSUFFICIENT_STOCK")]
        for a in lost
    )
    assert sorted(a["inventoryLevel"]["allocated"] for a in won) == [1, 2, 3, 4, 5]
    assert await _numbers(tenant_a, level) == (5, 5, 6)  # on hand unchanged; a receipt, 5 reservations
    kinds = (await tenant_a.query(MOVEMENTS, {"id": level}))["stockMovements"]["nodes"]
    assert [mv["kind"] for mv in kinds].count("RESERVATION") == 5


async def test_a_viewer_reads_levels_but_cannot_reserve(tenant_a, owner_engine):
    level, _ = await _level(owner_engine, tenant_a, on_hand=4)
    seen = await tenant_a.query(LEVEL, {"id": level}, role="viewer")
    assert seen["node"]["onHand"] == 4
    refused = await tenant_a.raw(
        _move("reserveStock"), {"input": {"levelId": level, "quantity": 1}}, role="viewer"
    )
    assert refused["data"] is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert await _numbers(tenant_a, level) == (4, 0, 1)


async def test_low_stock_lists_a_level_once_available_falls_to_its_reorder_point(tenant_a, owner_engine):
    level, _ = await _level(owner_engine, tenant_a, on_hand=5, reorder_point=3)
    low = "{ lowStock(first: 100) { nodes { id available } } }"
    assert level not in [n["id"] for n in (await tenant_a.query(low))["lowStock"]["nodes"]]
    await _ok(tenant_a, "reserveStock", {"levelId": level, "quantity": 2})
    assert {"id": level, "available": 3} in (await tenant_a.query(low))["lowStock"]["nodes"]
    await _ok(tenant_a, "reserveStock", {"levelId": level, "quantity": 1})
    kinds = [kind for kind, _ in await _events(owner_engine, tenant_a, level)]
    assert kinds.count("stock.low") == 1  # when it crossed, not again while it stays low
    assert kinds.count("stock.changed") == 3
