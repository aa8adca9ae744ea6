"""The background intake survives crashes, with real `medgraph worker` processes on the
real PostgreSQL broker: every submitted order is checked exactly once in effect.

- submitted while no worker runs (the API committed, nothing was sent): the outbox keeps
  the event, and the first worker to start checks the order;
- a worker SIGKILLed in the middle of a check: its job comes back to another worker, which
  checks the order once (the killed run's transaction never committed);
- the same message delivered twice (the relay sent it again: it crashed before recording
  that it had sent it): the second run changes nothing;
- a message whose worker dies every time: parked in `failed_jobs` after
  MEDGRAPH_JOB_MAX_DELIVERIES takes, with IDs only, and never run again;
- a job that raises every time: retried, then parked, with the error's type and place
  but not its message (it may hold PHI).
"""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa

from app.db import tenant_transaction
from tests.jobs.intake_ops import (
    PROBE,
    all_checked,
    any_parked,
    begun,
    checked_once,
    delivered_twice,
    ids,
    killed_until_parked,
    scalar,
    statuses,
    submitted,
    until,
)
from tests.jobs_support import alone, kill, stop, worker_process


async def test_a_worker_killed_mid_check_loses_and_doubles_nothing(
    owner_url, owner_engine, tenant_a, tmp_path, broker
):
    probe_log = tmp_path / "probe.log"
    with alone():
        orders = [await submitted(owner_engine, tenant_a) for _ in range(3)]
        first = worker_process(
            owner_url,
            PROBE,
            test_probe_log=str(probe_log),
            test_probe_sleep="60",
            test_probe_orders=ids(orders),
            **broker,
        )
        try:
            await until(lambda: begun(probe_log), 60, "a check to begin")
        finally:
            kill(first)
        assert await statuses(owner_engine, tenant_a, orders) == ["submitted"] * 3
        second = worker_process(
            owner_url, PROBE, test_probe_log=str(probe_log), test_probe_orders=ids(orders), **broker
        )
        try:
            await until(lambda: all_checked(owner_engine, tenant_a, orders), 90, "every order checked")
        finally:
            assert stop(second) == 0  # SIGTERM: a clean stop
    for order in orders:
        await checked_once(owner_engine, tenant_a, order)
    killed = uuid.UUID((await asyncio.to_thread(probe_log.read_text)).split()[0])
    deliveries = await scalar(
        owner_engine,
        tenant_a,
        "SELECT max(deliveries) FROM job_deliveries WHERE tenant_id = :t AND actor = 'orders.check_submission'",
        t=tenant_a.id,
    )
    assert killed in orders and deliveries == 2


async def test_the_same_message_twice_changes_nothing(owner_url, owner_engine, tenant_a, broker):
    with alone():
        order = await submitted(owner_engine, tenant_a)
        worker = worker_process(owner_url, PROBE, **broker)
        try:
            await until(lambda: all_checked(owner_engine, tenant_a, [order]), 60, "the order checked")
            # The relay sends the tenant's events again, as after a crash between sending
            # and recording it: the same messages, delivered a second time.
            async with tenant_transaction(owner_engine, str(tenant_a.id)) as conn:
                await conn.execute(
                    sa.text("UPDATE job_relay SET last_sequence = 0 WHERE tenant_id = :t"), {"t": tenant_a.id}
                )
            await until(lambda: delivered_twice(owner_engine, tenant_a), 60, "the second delivery")
        finally:
            assert stop(worker) == 0
    await checked_once(owner_engine, tenant_a, order)


async def test_a_message_whose_worker_always_dies_is_parked(owner_url, owner_engine, tenant_a, broker):
    with alone():
        order = await submitted(owner_engine, tenant_a)
        await killed_until_parked(
            owner_url,
            owner_engine,
            tenant_a,
            6,
            test_probe_die="1",
            job_max_deliveries="2",
            test_probe_orders=ids([order]),
            **broker,
        )
    async with tenant_transaction(owner_engine, str(tenant_a.id)) as conn:
        found = sa.text("SELECT * FROM failed_jobs WHERE tenant_id = :t")
        parked = (await conn.execute(found, {"t": tenant_a.id})).mappings().one()
    assert parked["actor"] == "orders.check_submission" and parked["reason"] == "worker_died"
    assert parked["deliveries"] == 3 and parked["retried_at"] is None
    tenant, [(_sequence, event_type, entity, payload)] = parked["args"]
    assert (tenant, event_type, entity) == (str(tenant_a.id), "order.submitted", str(order))
    assert set(payload) == {"facility_id", "status", "round"}  # IDs and codes: no PHI
    assert await statuses(owner_engine, tenant_a, [order]) == ["submitted"]


async def test_a_job_that_keeps_failing_is_parked_without_its_message(
    owner_url, owner_engine, tenant_a, broker
):
    with alone():
        order = await submitted(owner_engine, tenant_a)
        worker = worker_process(
            owner_url,
            PROBE,
            test_probe_raise="1",
            job_max_retries="1",
            test_probe_orders=ids([order]),
            **broker,
        )
        try:
            await until(lambda: any_parked(owner_engine, tenant_a), 60, "the job parked")
        finally:
            assert stop(worker) == 0
    async with tenant_transaction(owner_engine, str(tenant_a.id)) as conn:
        found = sa.text("SELECT * FROM failed_jobs WHERE tenant_id = :t")
        parked = (await conn.execute(found, {"t": tenant_a.id})).mappings().one()
        kept = await conn.scalar(sa.text("SELECT count(*) FROM failed_jobs WHERE error LIKE '%Jane%'"))
        # The PostgreSQL broker keeps the rejected message, with Dramatiq's traceback in it.
        kept += await conn.scalar(
            sa.text("SELECT count(*) FROM dramatiq.queue WHERE message::text LIKE '%Jane%'")
        )
    assert (parked["reason"], parked["attempts"]) == ("retries_exhausted", 2)
    assert parked["error"].startswith("RuntimeError at probe_check.py:") and kept == 0
    assert await statuses(owner_engine, tenant_a, [order]) == ["submitted"]  # the check never passed
