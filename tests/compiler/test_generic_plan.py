"""A compiled statement is planned once per connection, not on every run.

PostgreSQL plans a prepared statement afresh for its first five runs, then keeps a
generic plan if that costs no more than the fresh ones did. A page size passed as a
parameter (`LIMIT $n`) defeats that: the planner costs an unknown limit as a tenth of the
table, the generic plan never looks as cheap, and the statement is planned on every run.
For the front end's order list that planning was a third of the statement's time. Page
sizes are written into the statement (`schema/compiler/bind.py`), and this holds it.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import event

from app.db import tenant_transaction
from tests.support import app_with, gql

ORDERS = """{ orders(first: 20) { totalCount nodes { id orderNumber status totalAmount
  facility { id name } provider { id lastName }
  items(first: 10) { nodes { id quantity unitPrice product { id name manufacturer { name } } } }
  statusHistory(first: 10) { nodes { fromStatus toStatus createdAt } }
  shipments(first: 5) { nodes { carrier trackingNumber } } } } }"""
RUNS = 8  # past the five fresh plans PostgreSQL makes before it weighs a generic one


async def _compiled_statement(api_engine: Any, tenant: Any) -> tuple[str, tuple[Any, ...]]:
    """The text and parameters of the compiled read a caller's first request runs."""
    app = app_with(api_engine, compiled_reads=True, compiled_reads_verify=False)
    token = {"authorization": f"Bearer {await tenant.token()}"}
    sent: list[tuple[str, tuple[Any, ...]]] = []

    def before(_conn: Any, _cursor: Any, statement: str, params: Any, *_args: Any) -> None:
        sent.append((statement, params))

    event.listen(api_engine.sync_engine, "before_cursor_execute", before)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            result = await gql(client, ORDERS, None, token)
    finally:
        event.remove(api_engine.sync_engine, "before_cursor_execute", before)
    assert "errors" not in result and result["data"]["orders"]["nodes"], result
    reads = [(text, params) for text, params in sent if "row_to_json" in text]
    assert len(reads) == 1, sent
    return reads[0]


async def test_the_order_list_keeps_a_generic_plan(api_engine, tenant_a):
    text, params = await _compiled_statement(api_engine, tenant_a)
    assert "LIMIT $" not in text
    async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        statement = await driver.prepare(text)
        answers = {await statement.fetchval(*params) for _ in range(RUNS)}
        plans = await driver.fetchrow(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1",
            statement.get_name(),
        )
    assert len(answers) == 1  # the same answer, whichever plan gave it
    assert plans["generic_plans"] >= RUNS - 5, dict(plans)
