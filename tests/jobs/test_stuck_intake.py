"""An order left `submitted` (its job lost: here it never had an event) is found by the
periodic sweep and checked once, with two worker processes whose schedulers both tick:
each tick of the sweep is claimed by one of them."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from app.db import tenant_transaction
from app.jobs import job_events
from app.settings import get_settings
from schema.relay import from_global_id, to_global_id
from tests.jobs.intake_ops import all_checked, checked_once, park_intake_job, until, workers_listening
from tests.jobs_support import alone, stop, worker_process
from tests.orders.orders_ops import draft

SWEEP = {"intake_sweep_seconds": "1", "intake_stuck_after_seconds": "60"}


async def _stuck(owner_engine: Any, tenant: Any) -> Any:
    """A submitted order an hour old whose check never ran, and no event to start it."""
    pk = from_global_id((await draft(owner_engine, tenant))["id"])[1]
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        await conn.execute(
            sa.text(
                "UPDATE orders SET status = 'submitted', version = version + 1, "
                "submitted_at = now() - interval '1 hour' WHERE id = :id"
            ),
            {"id": pk},
        )
    return pk


async def test_one_scheduler_claims_each_tick(api_engine):
    from app.schedule import Scheduler

    schedulers = [Scheduler(api_engine, None, get_settings()) for _ in range(4)]  # type: ignore[arg-type]
    claims = await asyncio.gather(*(s.claim("tests.tick", 42) for s in schedulers))
    assert sorted(claims) == [False, False, False, True]
    assert await schedulers[0].claim("tests.tick", 43)  # the next tick is anyone's


async def test_a_stuck_order_is_checked_once_by_the_sweep(owner_url, owner_engine, tenant_a):
    with alone():
        order = await _stuck(owner_engine, tenant_a)
        workers = [worker_process(owner_url, **SWEEP) for _ in range(2)]
        try:
            await until(lambda: workers_listening(owner_engine, 2), 60, "both workers up")
            await until(lambda: all_checked(owner_engine, tenant_a, [order]), 60, "the sweep to check it")
        finally:
            assert [stop(w) for w in workers] == [0, 0]
    await checked_once(owner_engine, tenant_a, order, checks_per_round=4)  # the orders module's four


async def test_the_sweep_resends_stuck_orders_but_not_one_whose_job_is_parked(
    owner_engine, api_engine, tenant_a
):
    from modules.orders.actors import requeue_stuck

    with alone():
        stuck = [await _stuck(owner_engine, tenant_a) for _ in range(3)]
        parked_order = {"id": to_global_id("Order", stuck[1])}
        await park_intake_job(owner_engine, tenant_a, parked_order)
        settings = get_settings().model_copy(update={"intake_stuck_after_seconds": 60})
        async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
            messages = await requeue_stuck(conn, tenant_a.id, settings)
    resent = [event.entity_id for message in messages for event in job_events(message.args)]
    assert sorted(resent) == sorted([stuck[0], stuck[2]])
