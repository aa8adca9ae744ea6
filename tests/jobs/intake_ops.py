"""What the intake's crash tests do and look at: orders submitted through the API,
waiting for the worker processes, and counting what the intake did to each order."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.db import tenant_transaction
from schema.relay import from_global_id, to_global_id
from tests.jobs_support import stop, worker_process
from tests.orders.orders_ops import CREATE, STEP, draft, facility, ok

PROBE = "tests.jobs.probe_check"

CHECKS_PER_ROUND = 5  # the orders module's four, and the probe


async def submitted(owner_engine: Any, tenant: Any, values: dict[str, Any] | None = None) -> Any:
    """An order submitted through the API (a ready draft, or one created with `values`):
    its primary key."""
    order = await (ok(tenant, CREATE, "createOrder", values) if values else draft(owner_engine, tenant))
    moved = await ok(
        tenant, STEP["submitOrder"], "submitOrder", {"id": order["id"], "version": order["version"]}
    )
    assert moved["status"] == "SUBMITTED"
    return from_global_id(order["id"])[1]


async def until(found: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await found():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        await asyncio.sleep(0.1)


async def scalar(owner_engine: Any, tenant: Any, sql: str, **params: Any) -> Any:
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        return await conn.scalar(sa.text(sql), params)


async def statuses(owner_engine: Any, tenant: Any, orders: list[Any]) -> list[str]:
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        rows = await conn.execute(
            sa.text("SELECT id, status FROM orders WHERE id = ANY(:ids)"), {"ids": orders}
        )
        status = dict(rows.all())
    return [status[o] for o in orders]


async def checked_once(
    owner_engine: Any, tenant: Any, order: Any, checks_per_round: int = CHECKS_PER_ROUND
) -> None:
    """One move out of `submitted`, one round of checks: the intake's effect, once."""
    moves = await scalar(
        owner_engine,
        tenant,
        "SELECT count(*) FROM order_status_history WHERE order_id = :o AND from_status = 'submitted'",
        o=order,
    )
    checks = await scalar(
        owner_engine, tenant, "SELECT count(*) FROM order_checks WHERE order_id = :o", o=order
    )
    assert (moves, checks) == (1, checks_per_round)


async def all_checked(owner_engine: Any, tenant: Any, orders: list[Any]) -> bool:
    return "submitted" not in await statuses(owner_engine, tenant, orders)


def ids(orders: list[Any]) -> str:
    return ",".join(str(o) for o in orders)


async def begun(probe_log: Path) -> bool:
    return await asyncio.to_thread(lambda: probe_log.exists() and bool(probe_log.read_text().strip()))


async def delivered_twice(owner_engine: Any, tenant: Any) -> bool:
    most = await scalar(
        owner_engine, tenant, "SELECT max(deliveries) FROM job_deliveries WHERE tenant_id = :t", t=tenant.id
    )
    return bool(most and most >= 2)


async def any_parked(owner_engine: Any, tenant: Any) -> bool:
    found = "SELECT count(*) FROM failed_jobs WHERE tenant_id = :t"
    return bool(await scalar(owner_engine, tenant, found, t=tenant.id))


async def died_or_parked(worker: Any, owner_engine: Any, tenant: Any) -> bool:
    return worker.poll() is not None or await any_parked(owner_engine, tenant)


async def workers_listening(owner_engine: Any, count: int) -> bool:
    """Whether `count` worker processes are up: each one's relay holds a LISTEN connection."""
    async with owner_engine.connect() as conn:
        found = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = 'medgraph-worker' AND query LIKE 'LISTEN%'"
            )
        )
    return int(found) >= count


async def park_intake_job(owner_engine: Any, tenant: Any, order: dict[str, Any]) -> str:
    """The order's intake job, parked as a worker that kept dying leaves it."""
    pk = from_global_id(order["id"])[1]
    payload = {"facility_id": str(from_global_id(facility(tenant))[1]), "status": "submitted", "round": 1}
    row = {
        "tenant_id": tenant.id,
        "message_id": uuid.uuid4(),
        "queue": "default",
        "actor": "orders.check_submission",
        "args": [str(tenant.id), [[0, "order.submitted", str(pk), payload]]],
        "reason": "worker_died",
        "error": "its worker stopped 3 times while running it",
        "attempts": 1,
        "deliveries": 4,
    }
    columns = ", ".join(row)
    values = ", ".join(f"CAST(:{k} AS jsonb)" if k == "args" else f":{k}" for k in row)
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        found = await conn.scalar(
            sa.text(f"INSERT INTO failed_jobs ({columns}) VALUES ({values}) RETURNING id"),
            row | {"args": json.dumps(row["args"])},
        )
    return to_global_id("FailedJob", found)


async def killed_until_parked(
    owner_url: str, owner_engine: Any, tenant: Any, tries: int, **worker: Any
) -> None:
    """Worker processes started one after another (`worker`: worker_process's settings),
    each until it dies or a job is parked, at most `tries` of them."""
    for _ in range(tries):
        process = worker_process(owner_url, PROBE, **worker)
        try:
            await until(lambda p=process: died_or_parked(p, owner_engine, tenant), 60, "a death or a parking")
        finally:
            stop(process)
        if await any_parked(owner_engine, tenant):
            return
