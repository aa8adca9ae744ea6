"""The outbox relay: committed domain events become jobs on the broker.

A service never sends a job itself: it emits a domain event in its transaction
(app/events.py), and the relay, running in every worker process, sends the jobs that
react to it (app/jobs.py) after the commit. So a change rolled back sends nothing, and a
crash between the commit and the send loses nothing: the event is still there.

Per tenant, `job_relay` records the last event relayed. The relay locks that row
(`FOR UPDATE SKIP LOCKED`: one relay per tenant at a time, however many workers run),
reads what follows, sends, and moves the row on in the same transaction. A crash after
sending and before that commit sends those jobs again on the next pass: the same
message IDs, whose second copies find the work done (app/job_runs.py), and idempotent jobs
besides.

A parked job an admin retries (`job.retried`) is sent the same way, after the commit that
marked it retried.

It is woken by the outbox's NOTIFY (one LISTEN connection per worker process) and also
looks every `MEDGRAPH_RELAY_POLL_SECONDS`, for what a lost notification would leave.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import dramatiq
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import tenant_transaction
from app.events import CHANNEL, events_after
from app.jobs import JOB_RETRIED, WORKER_APPLICATION, messages_for, retry_message, send_all
from app.logging import get_logger, safe_exception
from app.tables import failed_jobs, job_relay

PAGE = 500
log = get_logger("medgraph.relay")


class Relay:
    def __init__(self, engine: AsyncEngine, broker: dramatiq.Broker, poll_seconds: float) -> None:
        self.engine = engine
        self.broker = broker
        self.poll_seconds = poll_seconds
        self._woken = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set."""
        listener: Any = None
        while not stop.is_set():
            self._woken.clear()  # before the pass: a NOTIFY during it wakes the next one
            try:
                if listener is None or listener.is_closed():
                    listener = await self._listen()
                await self.relay_pending()
            except Exception as exc:  # noqa: BLE001 - the database may be back in a moment
                log.warning("relay_failed", **safe_exception(exc))
                listener = None
            with contextlib.suppress(TimeoutError):
                waiting = [asyncio.ensure_future(self._woken.wait()), asyncio.ensure_future(stop.wait())]
                _, pending = await asyncio.wait(
                    waiting, timeout=self.poll_seconds, return_when="FIRST_COMPLETED"
                )
                for task in pending:
                    task.cancel()
        if listener is not None:
            with contextlib.suppress(Exception):
                await listener.close()

    async def _listen(self) -> Any:
        url = self.engine.url.set(drivername="postgresql")
        listener = await asyncpg.connect(
            url.render_as_string(hide_password=False),
            server_settings={"application_name": WORKER_APPLICATION},
        )
        await listener.add_listener(CHANNEL, lambda *_: self._woken.set())
        return listener

    async def relay_pending(self) -> int:
        """Relay every tenant's unrelayed events; how many were relayed."""
        async with self.engine.connect() as conn:
            tenants = list((await conn.execute(sa.text("SELECT app_relay_pending()"))).scalars())
        relayed = 0
        for tenant_id in tenants:
            try:
                while (count := await self.relay_tenant(tenant_id)) > 0:
                    relayed += count
                    if count < PAGE:
                        break
            except Exception as exc:  # noqa: BLE001 - one tenant's failure holds no other back
                log.warning("relay_tenant_failed", tenant_id=str(tenant_id), **safe_exception(exc))
        return relayed

    async def relay_tenant(self, tenant_id: uuid.UUID) -> int:
        async with tenant_transaction(self.engine, str(tenant_id)) as conn:
            await conn.execute(insert(job_relay).values(tenant_id=tenant_id).on_conflict_do_nothing())
            cursor = await conn.scalar(
                sa.select(job_relay.c.last_sequence)
                .where(job_relay.c.tenant_id == tenant_id)
                .with_for_update(skip_locked=True)
            )
            if cursor is None:
                return 0  # another relay has this tenant now
            events = await events_after(conn, cursor, PAGE)
            messages = messages_for(events)
            retried = [uuid.UUID(e.payload["failed_job_id"]) for e in events if e.type == JOB_RETRIED.name]
            if retried:
                rows = await conn.execute(sa.select(failed_jobs).where(failed_jobs.c.id.in_(retried)))
                messages += [retry_message(row) for row in rows]
            if messages:
                await asyncio.to_thread(send_all, self.broker, messages)
            if events:
                await conn.execute(
                    sa.update(job_relay)
                    .where(job_relay.c.tenant_id == tenant_id)
                    .values(last_sequence=events[-1].sequence, updated_at=sa.func.now())
                )
            return len(events)
