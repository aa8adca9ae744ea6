"""`order(id:)` is `node` for one type: compiled into one statement, and null for an ID of
another type or of another tenant's order."""

from __future__ import annotations

import httpx

from tests.orders.orders_ops import draft, patient
from tests.support import app_with, gql, recorded_statements

ORDER = """query($id: ID!) { order(id: $id) { orderNumber status facility { name }
  items(first: 5) { nodes { productName product { sku manufacturer { name } } } }
  statusHistory(first: 5) { nodes { toStatus } } } }"""


async def _ask(api_engine, app, tenant, variables, role="owner"):
    token = await tenant.token(role)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://medgraph.test") as client:
        with recorded_statements(api_engine) as statements:
            result = await gql(client, ORDER, variables, {"authorization": f"Bearer {token}"})
    return result, statements


async def test_order_by_id_is_compiled(owner_engine, api_engine, tenant_a):
    order = await draft(owner_engine, tenant_a)
    compiled = app_with(api_engine, compiled_reads=True, compiled_reads_verify=False)
    await _ask(api_engine, compiled, tenant_a, {"id": order["id"]})  # the plan made, the caller known
    result, statements = await _ask(api_engine, compiled, tenant_a, {"id": order["id"]})
    assert result["data"]["order"]["orderNumber"] == order["orderNumber"]
    assert result["data"]["order"]["facility"]["name"] == "One Main"
    assert len(statements) == 1, statements

    other_type, _ = await _ask(api_engine, compiled, tenant_a, {"id": patient(tenant_a)})
    assert other_type == {"data": {"order": None}}
    as_rep, _ = await _ask(api_engine, compiled, tenant_a, {"id": order["id"]}, role="sales_rep")
    assert as_rep["data"]["order"]["orderNumber"] == order["orderNumber"]  # sales reps read orders


async def test_order_by_id_of_another_tenant_is_null(owner_engine, tenant_a, tenant_b):
    order = await draft(owner_engine, tenant_a)
    assert (await tenant_b.query(ORDER, {"id": order["id"]}))["order"] is None
    result = await tenant_a.raw(
        "query($id: ID!) { order(id: $id) { id } }", {"id": order["id"]}, role="viewer"
    )
    assert result["data"]["order"]["id"] == order["id"]
