"""The graphql-ws reference client (npm `graphql-ws`, in a small node script) watches an
order through a running server while the intake moves it: what a front end using the
reference client sees. Skipped, with the reason, where node and npm are not installed or
the package cannot be installed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tests.npm_packages import installed
from tests.orders import orders_ops
from tests.orders.orders_ops import STEP, ok
from tests.websockets.test_order_status import WATCH, _order_at_one_east, head

HERE = Path(__file__).resolve().parent / "graphql_ws_client"


def _installed() -> Path:
    return installed(HERE, "graphql-ws-client", "client.mjs")


async def _line(process: Any) -> dict[str, Any]:
    raw = await asyncio.wait_for(process.stdout.readline(), 30)
    assert raw, f"the client ended: {(await process.stderr.read()).decode()[-500:]}"
    return json.loads(raw)  # type: ignore[no-any-return]


async def test_the_reference_client_sees_the_intake_move_an_order(
    server, owner_engine, tenant_a, jobs_worker
):
    client = _installed()
    orders_ops.WATCH["engine"] = owner_engine
    order = await _order_at_one_east(owner_engine, tenant_a)
    token = await tenant_a.token("manager")
    process = await asyncio.create_subprocess_exec(
        "node",
        "client.mjs",
        server.url,
        token,
        WATCH,
        json.dumps({"id": order["id"], "after": await head(owner_engine, tenant_a)}),
        "2",
        cwd=client,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert await _line(process) == {"connected": True}
        await ok(
            tenant_a, STEP["submitOrder"], "submitOrder", {"id": order["id"], "version": order["version"]}
        )
        events = [(await _line(process))["data"]["orderStatusChanged"] for _ in range(2)]
        assert [(e["fromStatus"], e["toStatus"]) for e in events] == [
            ("DRAFT", "SUBMITTED"),
            ("SUBMITTED", "PENDING_ADMIN_REVIEW"),
        ]
        assert events[1]["order"] == {"id": order["id"], "status": "PENDING_ADMIN_REVIEW", "version": 3}
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
