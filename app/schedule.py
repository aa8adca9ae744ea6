"""Periodic jobs: declared by a module in its `actors.py`, fired by every worker's
scheduler, run by exactly one of them each tick.

    @periodic("orders.requeue_stuck", every=lambda settings: settings.intake_sweep_seconds)
    async def requeue_stuck(conn: AsyncConnection, tenant_id: uuid.UUID, settings: Settings)
        -> list[dramatiq.Message]: ...

Time is cut into ticks of `every` seconds (tick n starts at n × every since the epoch).
Each worker's scheduler wakes every second; for a job whose tick has come it inserts
(job, tick) into `job_ticks`. The primary key lets one insert land: that worker runs the
tick, the others skip it, however many run. The handler is called once per active tenant,
in a transaction scoped to it, and answers the messages to send (sent after that
transaction commits); a tick whose run fails is not run again (the next one comes).

The scheduling is this file's: intervals on a shared clock are all the jobs need, and the
part a library would not give (one run per tick across processes) is the database's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import dramatiq
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.db import tenant_transaction
from app.jobs import JOB_NAME, send_all
from app.logging import get_logger, safe_exception
from app.settings import Settings
from app.tables import job_ticks

KEEP_TICKS = 100  # claimed ticks kept per job, for whoever wants to see the last runs
log = get_logger("medgraph.schedule")

Handler = Callable[[AsyncConnection, uuid.UUID, Settings], Awaitable[list[dramatiq.Message[Any]]]]


@dataclass(frozen=True)
class Periodic:
    name: str
    every: Callable[[Settings], float]
    handler: Handler


PERIODIC: dict[str, Periodic] = {}


def periodic(name: str, *, every: Callable[[Settings], float]) -> Callable[[Handler], Handler]:
    if not JOB_NAME.fullmatch(name):
        raise ValueError(f"periodic job {name!r}: name it `module.verb`")

    def declare(handler: Handler) -> Handler:
        PERIODIC[name] = Periodic(name, every, handler)
        return handler

    return declare


class Scheduler:
    def __init__(self, engine: AsyncEngine, broker: dramatiq.Broker, settings: Settings) -> None:
        self.engine = engine
        self.broker = broker
        self.settings = settings
        self.me = f"{os.uname().nodename}:{os.getpid()}"
        self._last: dict[str, int] = {}

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for job in list(PERIODIC.values()):
                every = job.every(self.settings)
                tick = int(time.time() // every)
                if self._last.get(job.name) == tick:
                    continue
                self._last[job.name] = tick
                try:
                    if await self.claim(job.name, tick):
                        await self.fire(job)
                except Exception as exc:  # noqa: BLE001 - the next tick tries again
                    log.warning("periodic_job_failed", job=job.name, tick=tick, **safe_exception(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)

    async def claim(self, name: str, tick: int) -> bool:
        """This worker runs `tick` of job `name`: True for exactly one worker."""
        async with self.engine.begin() as conn:
            claimed = await conn.scalar(
                insert(job_ticks)
                .values(job=name, tick=tick, claimed_by=self.me)
                .on_conflict_do_nothing()
                .returning(job_ticks.c.tick)
            )
            if claimed is not None:
                await conn.execute(
                    sa.delete(job_ticks).where(job_ticks.c.job == name, job_ticks.c.tick < tick - KEEP_TICKS)
                )
        return claimed is not None

    async def fire(self, job: Periodic) -> int:
        """Run `job` for every active tenant; how many messages it sent."""
        async with self.engine.connect() as conn:
            tenants = list((await conn.execute(sa.text("SELECT app_tenant_ids()"))).scalars())
        sent = 0
        for tenant_id in tenants:
            try:
                async with tenant_transaction(self.engine, str(tenant_id)) as conn:
                    messages = await job.handler(conn, tenant_id, self.settings)
                if messages:
                    await asyncio.to_thread(send_all, self.broker, messages)
                    sent += len(messages)
            except Exception as exc:  # noqa: BLE001 - one tenant's failure holds no other back
                log.warning(
                    "periodic_job_tenant_failed",
                    job=job.name,
                    tenant_id=str(tenant_id),
                    **safe_exception(exc),
                )
        if sent:
            log.info("periodic_job_sent", job=job.name, messages=sent)
        return sent
