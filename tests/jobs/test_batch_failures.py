"""One bad order in a batch holds back none of the others, with real `medgraph worker`
processes on each broker. Orders submitted while no worker runs reach the first worker as
one message; when that message fails, or its worker keeps dying, it is split into one
message per order: the others are checked once each, and only the bad order's job is
parked, holding that one order."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.db import tenant_transaction
from tests.jobs.intake_ops import (
    PROBE,
    any_parked,
    checked_once,
    ids,
    killed_until_parked,
    scalar,
    statuses,
    submitted,
    until,
)
from tests.jobs_support import alone, stop, worker_process


async def _parked_one(owner_engine: Any, tenant: Any) -> dict[str, Any]:
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        found = sa.text("SELECT * FROM failed_jobs WHERE tenant_id = :t")
        return dict((await conn.execute(found, {"t": tenant.id})).mappings().one())


async def _messages(owner_engine: Any, tenant: Any) -> int:
    found = "SELECT count(DISTINCT message_id) FROM job_deliveries WHERE tenant_id = :t"
    return int(await scalar(owner_engine, tenant, found, t=tenant.id))


async def _others_checked(owner_engine: Any, tenant: Any, others: list[Any]) -> bool:
    return "submitted" not in await statuses(owner_engine, tenant, others)


async def test_an_order_whose_check_fails_holds_back_none_of_its_batch(
    owner_url, owner_engine, tenant_a, broker
):
    with alone():
        orders = [await submitted(owner_engine, tenant_a) for _ in range(4)]
        poison, others = orders[1], orders[:1] + orders[2:]
        worker = worker_process(
            owner_url,
            PROBE,
            test_probe_raise="1",
            job_max_retries="1",
            test_probe_orders=ids([poison]),
            **broker,
        )
        try:
            await until(lambda: any_parked(owner_engine, tenant_a), 60, "the bad order's job parked")
            await until(lambda: _others_checked(owner_engine, tenant_a, others), 60, "the others checked")
        finally:
            assert stop(worker) == 0
    for order in others:
        await checked_once(owner_engine, tenant_a, order)
    assert await statuses(owner_engine, tenant_a, [poison]) == ["submitted"]
    parked = await _parked_one(owner_engine, tenant_a)
    assert (parked["reason"], parked["attempts"]) == ("retries_exhausted", 2)
    tenant, [(_sequence, event_type, entity, _payload)] = parked["args"]
    assert (tenant, event_type, entity) == (str(tenant_a.id), "order.submitted", str(poison))
    assert await _messages(owner_engine, tenant_a) == 1 + 4  # the batch, then one message per order


async def test_an_order_that_kills_its_worker_holds_back_none_of_its_batch(
    owner_url, owner_engine, tenant_a, broker
):
    """Four threads: after the split, the poison's part and its siblings' parts run side by
    side and die together once; the siblings come back as suspects, each runs alone, and
    is checked; only the poison's part dies again, up to its parking."""
    with alone():
        orders = [await submitted(owner_engine, tenant_a) for _ in range(4)]
        poison, others = orders[1], orders[:1] + orders[2:]
        await killed_until_parked(  # the batch dies twice, then its poison's part twice more
            owner_url,
            owner_engine,
            tenant_a,
            10,
            threads=4,
            test_probe_die="1",
            test_probe_others_sleep="1",
            job_max_deliveries="2",
            test_probe_orders=ids([poison]),
            **broker,
        )
        if not await _others_checked(owner_engine, tenant_a, others):  # the last death left them queued
            worker = worker_process(owner_url, PROBE, **broker)
            try:
                await until(lambda: _others_checked(owner_engine, tenant_a, others), 60, "the others checked")
            finally:
                stop(worker)
    for order in others:
        await checked_once(owner_engine, tenant_a, order)
    parked = await _parked_one(owner_engine, tenant_a)
    assert (parked["reason"], parked["deliveries"]) == ("worker_died", 3)
    _tenant, [(_sequence, _type, entity, _payload)] = parked["args"]
    assert entity == str(poison)
    assert await statuses(owner_engine, tenant_a, [poison]) == ["submitted"]
