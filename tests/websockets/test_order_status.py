"""Live order status, end to end: real websocket clients on a running server, a real
`medgraph worker` process running the intake, and the outbox between them.

A watcher sees `submitted`, then the worker's `pending_admin_review`, then each later
step; it disconnects, three steps happen, it reconnects with its last cursor and gets
exactly those three, in order. A watcher of the other tenant, and a facility manager of
another facility, get nothing. A watcher whose user is deactivated is disconnected (4403).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.db import tenant_transaction
from schema.live import cursor_at
from tests.jobs_support import alone, stop, worker_process
from tests.orders.orders_ops import (
    CREATE,
    RECORD_SHIPMENT,
    STEP,
    draft_input,
    facility,
    make_product,
    ok,
    patient,
    provider,
)
from tests.websockets.client import (
    LEGACY_WS,
    TRANSPORT_WS,
    auth,
    closed_with,
    initialise,
    nothing_within,
    open_socket,
    receive,
    send,
)

# The example front ends copy (graphql/operations/), so the example is what is tested.
WATCH = (
    Path(__file__).resolve().parents[2] / "graphql" / "operations" / "OrderStatusChanged.graphql"
).read_text()


async def head(owner_engine: Any, tenant: Any) -> str:
    """The cursor of the tenant's latest event: a watcher subscribed after it misses
    nothing that commits from now on, however long its subscription takes to start."""
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        found = await conn.scalar(
            sa.text("SELECT last_sequence FROM event_counters WHERE tenant_id = :t"), {"t": tenant.id}
        )
    return cursor_at(int(found or 0))


async def _watch(
    server: Any, tenant: Any, role: str, variables: dict[str, Any], protocol: str = TRANSPORT_WS
) -> Any:
    ws = await open_socket(server, protocol)
    await initialise(ws, auth(await tenant.token(role)))
    start = "subscribe" if protocol == TRANSPORT_WS else "start"
    await send(ws, {"id": "w", "type": start, "payload": {"query": WATCH, "variables": variables}})
    return ws


async def _next(ws: Any) -> dict[str, Any]:
    message = await receive(ws, within=30)
    assert message["type"] in ("next", "data"), message
    return message["payload"]["data"]["orderStatusChanged"]  # type: ignore[no-any-return]


async def _step(tenant: Any, name: str, order: dict[str, Any]) -> None:
    await ok(tenant, STEP[name], name, {"id": order["id"], "version": order["version"]})


async def _order_at_one_east(owner_engine: Any, tenant: Any) -> dict[str, Any]:
    product = await make_product(owner_engine, tenant, stock=10)
    parties = {
        "facilityId": facility(tenant, 1),
        "providerId": provider(tenant, 1),
        "patientId": patient(tenant, 1),
    }
    return await ok(tenant, CREATE, "createOrder", draft_input(tenant, product, 2, **parties))


async def test_a_watcher_sees_each_change_and_resumes_from_its_cursor(
    server, owner_url, owner_engine, tenant_a, tenant_b
):
    with alone():
        worker = worker_process(owner_url)
        try:
            order = await _order_at_one_east(owner_engine, tenant_a)
            now_a, now_b = await head(owner_engine, tenant_a), await head(owner_engine, tenant_b)
            watcher = await _watch(server, tenant_a, "manager", {"id": order["id"], "after": now_a})
            everything = await _watch(server, tenant_a, "owner", {"after": now_a})
            elsewhere = await _watch(server, tenant_a, "facility_manager", {"after": now_a})  # of One Main
            other_tenant = await _watch(server, tenant_b, "owner", {"after": now_b})

            await _step(tenant_a, "submitOrder", order)
            submitted, checked = await _next(watcher), await _next(watcher)
            assert (submitted["fromStatus"], submitted["toStatus"]) == ("DRAFT", "SUBMITTED")
            assert submitted["changedById"] is not None
            assert (checked["fromStatus"], checked["toStatus"]) == ("SUBMITTED", "PENDING_ADMIN_REVIEW")
            assert checked["changedById"] is None and checked["order"]["status"] == "PENDING_ADMIN_REVIEW"
            await _step(tenant_a, "approveOrder", checked["order"])
            approved = await _next(watcher)
            assert approved["toStatus"] == "APPROVED"
            await watcher.close()

            order = approved["order"]
            await _step(tenant_a, "markSubmittedToManufacturer", order)
            order["version"] += 1
            await _step(tenant_a, "confirmOrder", order)
            order["version"] += 1
            shipment = {
                "orderId": order["id"],
                "version": order["version"],
                "carrier": "UPS",
                "trackingNumber": "1Z9",
            }
            await ok(tenant_a, RECORD_SHIPMENT, "recordShipment", shipment)

            again = await _watch(
                server, tenant_a, "manager", {"id": order["id"], "after": approved["cursor"]}
            )
            missed = [await _next(again) for _ in range(3)]
            assert [e["toStatus"] for e in missed] == ["SUBMITTED_TO_MANUFACTURER", "CONFIRMED", "SHIPPED"]
            assert [e["version"] for e in missed] == sorted(e["version"] for e in missed)
            await nothing_within(again, 1.0)

            seen = [(await _next(everything))["toStatus"] for _ in range(6)]
            assert seen == ["SUBMITTED", "PENDING_ADMIN_REVIEW", "APPROVED", *(e["toStatus"] for e in missed)]
            await nothing_within(elsewhere, 0.5)
            await nothing_within(other_tenant, 0.5)
            for ws in (again, everything, elsewhere, other_tenant):
                await ws.close()
        finally:
            assert stop(worker) == 0


async def test_a_deactivated_watcher_is_disconnected(server, owner_engine, tenant_a):
    order = await _order_at_one_east(owner_engine, tenant_a)
    now = await head(owner_engine, tenant_a)
    watcher = await _watch(server, tenant_a, "viewer", {"id": order["id"], "after": now}, protocol=LEGACY_WS)
    users = await tenant_a.query(
        "query($q: String) { users(filter: {search: $q}) { nodes { id } } }", {"q": tenant_a.email("viewer")}
    )
    viewer = users["users"]["nodes"][0]["id"]
    done = await tenant_a.query(
        "mutation($id: ID!) { deactivateUser(id: $id) { errors { code } } }", {"id": viewer}
    )
    assert done["deactivateUser"]["errors"] == []
    code, _reason = await closed_with(watcher)
    assert code == 4403


async def test_a_bad_cursor_or_order_is_a_clear_error(server, tenant_a, tenant_b, owner_engine):
    theirs = await _order_at_one_east(owner_engine, tenant_b)
    for variables, code in (({"after": "nope"}, "INVALID_CURSOR"), ({"id": theirs["id"]}, "NOT_FOUND")):
        ws = await _watch(server, tenant_a, "owner", variables)
        message = await receive(ws)
        assert message["type"] in ("error", "next"), message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == code, message
        await ws.close()
