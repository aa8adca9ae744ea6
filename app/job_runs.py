"""How a job's message runs in a worker (jobs are declared in app/jobs.py).

Each run:
1. counts the delivery, in a transaction of its own, committed before the work starts.
   Dramatiq does not count a delivery whose worker was killed as a retry; this count
   does. Past `MEDGRAPH_JOB_MAX_DELIVERIES` takes of one attempt, the job is parked in
   `failed_jobs` and not run again. A message whose work is done already is not run;
2. runs the handler in a transaction scoped to the tenant, as the API role (row-level
   security applies), with the system as the actor (no user), and records the message
   done in that same transaction. Handlers are idempotent besides: the same work sent
   as two messages changes nothing the second time;
3. a handler that raises is retried by Dramatiq (`MEDGRAPH_JOB_MAX_RETRIES`, with
   backoff); the last failure is parked too. Of an error only its type and where it was
   raised are kept: its message may hold PHI, so it reaches neither the broker (the
   retried message's traceback) nor `failed_jobs`.

A message whose worker died while it ran comes back as a suspect, and runs alone in its
worker process: no other job starts until it ends. A message that kills its worker then
takes only itself down on its next deliveries, and the jobs that happened to run beside
it the first time are not counted down to parking with it.

A message of many events that fails twice, or whose worker keeps dying, is not retried
or parked whole: it is split, one message per event, and each of those runs, is retried
and is parked alone. So one poison event holds back none of its batch, and what an admin
sees in `failed_jobs` is the one event that failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import dramatiq
import sqlalchemy as sa
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import CurrentMessage
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.audit import Actor
from app.db import tenant_transaction
from app.jobs import JOBS, Job, JobEvent, Runtime, job_events, send_all, split_message
from app.logging import get_logger, safe_frames
from app.tables import failed_jobs, job_deliveries

log = get_logger("medgraph.jobs")


class JobFailed(Exception):
    """A handler's error as the broker may keep it: its type and where it was raised."""


def describe(exc: BaseException) -> str:
    frames = safe_frames(exc)
    where = f" at {frames[-1]}" if frames else ""
    return f"{type(exc).__name__}{where}"[:500]


def declare_actors(runtime: Runtime) -> None:
    """Every declared job as a Dramatiq actor of the runtime's broker."""
    for declared in JOBS.values():

        def run_message(*args: Any, _job: Job = declared) -> None:
            message = CurrentMessage.get_current_message()
            assert message is not None, "the CurrentMessage middleware is installed by make_broker"
            get_event_loop_thread().run_coroutine(run(runtime, _job, message))  # type: ignore[union-attr]

        run_message.__name__ = declared.name.replace(".", "__")
        dramatiq.actor(
            actor_name=declared.name,
            queue_name=declared.queue,
            broker=runtime.broker,
            max_retries=runtime.settings.job_max_retries,
            min_backoff=500,
            max_backoff=60_000,
        )(run_message)


async def run(runtime: Runtime, job: Job, message: Any) -> None:
    events = job_events(message.args)
    attempt = int(message.options.get("retries", 0))
    earlier = await _earlier_deliveries(runtime.engine, message.message_id, attempt, str(events[0].tenant_id))
    # Counted once its turn has come: a worker that dies while the job waits behind a
    # suspect has not run it.
    async with runtime.turns.alone() if earlier else runtime.turns.shared():
        await _take(runtime, job, message, events, attempt)


async def _take(runtime: Runtime, job: Job, message: Any, events: list[JobEvent], attempt: int) -> None:
    """One delivery of the message: counted, bounded, worked, and what a failure leads to."""
    tenant = str(events[0].tenant_id)
    deliveries, done = await _count_delivery(runtime.engine, job, message.message_id, attempt, tenant)
    if done:
        log.info("job_done_before", job=job.name, message_id=message.message_id)
        return
    if deliveries > runtime.settings.job_max_deliveries:
        died = f"its worker stopped {deliveries - 1} times while running it"
        if len(events) > 1:
            await _split(runtime, job, message, attempt, died)
            return
        await park(runtime.engine, job, message, "worker_died", died, attempt, deliveries)
        return
    try:
        await _work(runtime, job, message, attempt, events)
        return
    except Exception as exc:  # noqa: BLE001 - kept as its type and place only, raised below
        error = describe(exc)
    # Out of the `except` block: nothing raised from here on carries the error (its
    # message may hold PHI) along as its context.
    log.warning("job_failed", job=job.name, message_id=message.message_id, attempt=attempt, error=error)
    if len(events) > 1 and attempt >= min(1, runtime.settings.job_max_retries):
        # Retried once whole (a deadlock, a lost connection), then split.
        await _split(runtime, job, message, attempt, error)
        return
    if attempt >= runtime.settings.job_max_retries:
        try:
            await park(runtime.engine, job, message, "retries_exhausted", error, attempt, deliveries)
        except Exception as exc:  # noqa: BLE001 - the job's own failure is what is raised
            log.error(
                "job_park_failed", job=job.name, message_id=message.message_id, error_type=type(exc).__name__
            )
    raise JobFailed(error) from None


async def _work(runtime: Runtime, job: Job, message: Any, attempt: int, events: list[JobEvent]) -> None:
    """The handler on the events, and the message recorded done, in one transaction."""
    async with tenant_transaction(runtime.engine, str(events[0].tenant_id)) as conn:
        if await _done_or_lock(conn, message.message_id):
            log.info("job_done_before", job=job.name, message_id=message.message_id)
            return
        system = Actor(events[0].tenant_id, None, request_id=f"job:{message.message_id}")
        await job.handler(conn, system, events)
        await _record_done(conn, message.message_id, attempt)  # with the work, or not at all


async def _split(runtime: Runtime, job: Job, message: Any, attempt: int, why: str) -> None:
    """Send each of the message's events as a message of its own, then record the message
    done. Sent first: a worker that dies in between leaves the message to be split again,
    into the same messages, whose copies find their work done. A split that cannot be
    sent is retried whole by Dramatiq, and parked whole once the retries are spent."""
    try:
        await asyncio.to_thread(send_all, runtime.broker, split_message(message))
        async with tenant_transaction(runtime.engine, message.args[0]) as conn:
            await _record_done(conn, message.message_id, attempt)
    except Exception as exc:  # noqa: BLE001 - kept as its type and place only
        error = describe(exc)
    else:
        log.warning(
            "job_split", job=job.name, message_id=message.message_id, events=len(message.args[1]), why=why
        )
        return
    if attempt >= runtime.settings.job_max_retries:
        with contextlib.suppress(Exception):
            await park(runtime.engine, job, message, "retries_exhausted", error, attempt, 0)
    raise JobFailed(error) from None


async def _record_done(conn: AsyncConnection, message_id: str, attempt: int) -> None:
    await conn.execute(
        sa.update(job_deliveries)
        .where(job_deliveries.c.message_id == uuid.UUID(message_id))
        .where(job_deliveries.c.attempt == attempt)
        .values(done_at=sa.func.now())
    )


async def _done_or_lock(conn: AsyncConnection, message_id: str) -> bool:
    """Whether the message's work is done already; if not, its delivery rows are locked
    until this transaction ends. Two copies of one message (a broker that took it back
    from a live worker, a relay that sent it twice) then run one after the other, and the
    second finds the first's work done."""
    rows = await conn.execute(
        sa.select(job_deliveries.c.done_at)
        .where(job_deliveries.c.message_id == uuid.UUID(message_id))
        .with_for_update()
    )
    return any(done_at is not None for (done_at,) in rows)


async def _earlier_deliveries(engine: AsyncEngine, message_id: str, attempt: int, tenant: str) -> int:
    """How many deliveries of this attempt began before and did not finish (a worker died
    in each): more than none makes the message a suspect."""
    async with tenant_transaction(engine, tenant) as conn:
        found = await conn.scalar(
            sa.select(job_deliveries.c.deliveries).where(
                job_deliveries.c.message_id == uuid.UUID(message_id),
                job_deliveries.c.attempt == attempt,
                job_deliveries.c.done_at.is_(None),
            )
        )
    return int(found or 0)


async def _count_delivery(
    engine: AsyncEngine, job: Job, message_id: str, attempt: int, tenant: str
) -> tuple[int, bool]:
    """This delivery counted (committed before the work starts), and whether the message's
    work was done before (by an earlier delivery or attempt)."""
    async with tenant_transaction(engine, tenant) as conn:
        done = await conn.scalar(
            sa.select(sa.func.count())
            .where(job_deliveries.c.message_id == uuid.UUID(message_id))
            .where(job_deliveries.c.done_at.is_not(None))
        )
        counted = (
            insert(job_deliveries)
            .values(
                message_id=uuid.UUID(message_id), attempt=attempt, tenant_id=uuid.UUID(tenant), actor=job.name
            )
            .on_conflict_do_update(
                index_elements=[job_deliveries.c.message_id, job_deliveries.c.attempt],
                set_={"deliveries": job_deliveries.c.deliveries + 1, "last_at": sa.func.now()},
            )
            .returning(job_deliveries.c.deliveries)
        )
        return int((await conn.execute(counted)).scalar_one()), bool(done)


async def park(
    engine: AsyncEngine, job: Job, message: Any, reason: str, error: str, attempt: int, deliveries: int
) -> None:
    """Keep a job that will not run again in `failed_jobs`, for an admin to see and retry."""
    tenant = message.args[0]
    async with tenant_transaction(engine, tenant) as conn:
        await conn.execute(
            insert(failed_jobs)
            .values(
                tenant_id=uuid.UUID(tenant),
                message_id=uuid.UUID(message.message_id),
                queue=message.queue_name,
                actor=job.name,
                args=list(message.args),
                reason=reason,
                error=error,
                attempts=attempt + 1,
                deliveries=deliveries,
            )
            .on_conflict_do_nothing(index_elements=[failed_jobs.c.tenant_id, failed_jobs.c.message_id])
        )
    log.error("job_parked", job=job.name, message_id=message.message_id, reason=reason)
