"""Background jobs: declared by a module in its `actors.py`, run by `medgraph worker`.

    @job("orders.check_submission", on=ORDER_SUBMITTED)
    async def check_submission(conn: AsyncConnection, actor: Actor, event: JobEvent) -> None: ...

A job named `module.verb` reacts to a domain event (`on=`): the outbox relay
(app/relay.py) sends it once per committed event, with the event's tenant, sequence,
type, entity and payload. Those are IDs and codes only (app/events.py allows nothing
else), so no message carries PHI.

Each run, in the worker:
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
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import dramatiq
import sqlalchemy as sa
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import CurrentMessage
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.audit import Actor
from app.db import create_engine, tenant_transaction
from app.events import Event, EventType
from app.logging import get_logger, safe_frames
from app.settings import Settings
from app.tables import failed_jobs, job_deliveries

JOB_NAME = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
# An admin asked for a parked job to run again: the relay sends it (app/relay.py).
JOB_RETRIED = EventType("job.retried", "A failed background job was sent again", {"failed_job_id": "id"})
WORKER_APPLICATION = "medgraph-worker"  # the workers' connections, in pg_stat_activity
MESSAGE_NAMESPACE = uuid.UUID("0b5c6c5e-4f8e-4a52-9a55-6d0f5e1f7a10")
log = get_logger("medgraph.jobs")


@dataclass(frozen=True, slots=True)
class JobEvent:
    """The domain event a job reacts to, as its message carries it."""

    tenant_id: uuid.UUID
    sequence: int
    type: str
    entity_id: uuid.UUID | None
    payload: dict[str, Any]


Handler = Callable[[AsyncConnection, Actor, JobEvent], Awaitable[None]]


@dataclass(frozen=True)
class Job:
    name: str
    handler: Handler
    on: EventType
    queue: str = "default"


JOBS: dict[str, Job] = {}


def job(name: str, *, on: EventType, queue: str = "default") -> Callable[[Handler], Handler]:
    """Declare a job reacting to `on` (see the module docstring)."""
    if not JOB_NAME.fullmatch(name):
        raise ValueError(f"job {name!r}: name it `module.verb`")

    def declare(handler: Handler) -> Handler:
        if name in JOBS and JOBS[name].handler is not handler:
            raise ValueError(f"job {name!r} is declared twice")
        JOBS[name] = Job(name, handler, on, queue)
        return handler

    return declare


def reactions(event_type: str) -> list[Job]:
    return [j for j in JOBS.values() if j.on.name == event_type]


def message_for(job: Job, event: Event) -> dramatiq.Message[Any]:
    """The message that runs `job` for `event`. Its ID is the same each time it is made,
    so a relay that sends it again (it crashed before recording that it had) names the
    same message, and the copy finds the work done (`_done_or_lock`)."""
    key = f"{event.tenant_id}:{event.sequence}:{job.name}"
    entity = None if event.entity_id is None else str(event.entity_id)
    return dramatiq.Message(
        queue_name=job.queue,
        actor_name=job.name,
        args=(str(event.tenant_id), event.sequence, event.type, entity, event.payload),
        kwargs={},
        options={},
        message_id=str(uuid.uuid5(MESSAGE_NAMESPACE, key)),
    )


def message_again(
    name: str, tenant_id: uuid.UUID, entity_id: uuid.UUID, event: EventType, payload: dict[str, Any], key: str
) -> dramatiq.Message[Any]:
    """A job's message made again without its event (a periodic job resending work that
    seems lost): sequence 0, the payload checked as the event's, its ID from `key`."""
    job = JOBS[name]
    assert job.on is event, f"{name} reacts to {job.on.name}, not {event.name}"
    return dramatiq.Message(
        queue_name=job.queue,
        actor_name=name,
        args=(str(tenant_id), 0, event.name, str(entity_id), event.checked(payload)),
        kwargs={},
        options={},
        message_id=str(uuid.uuid5(MESSAGE_NAMESPACE, f"{tenant_id}:again:{name}:{key}")),
    )


def retry_message(parked: Any) -> dramatiq.Message[Any]:
    """The message that runs a parked job (a `failed_jobs` row) again, under the ID its
    retry was given: sent twice, the second copy finds the work done."""
    return dramatiq.Message(
        queue_name=parked.queue,
        actor_name=parked.actor,
        args=tuple(parked.args),
        kwargs={},
        options={},
        message_id=str(parked.retry_message_id),
    )


class JobFailed(Exception):
    """A handler's error as the broker may keep it: its type and where it was raised."""


def describe(exc: BaseException) -> str:
    frames = safe_frames(exc)
    where = f" at {frames[-1]}" if frames else ""
    return f"{type(exc).__name__}{where}"[:500]


@dataclass
class Runtime:
    """What the jobs of one worker process share: settings and, on the worker's event
    loop, one engine."""

    settings: Settings
    api_url: str
    _engine: AsyncEngine | None = field(default=None, repr=False)

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:  # made on the event loop that uses it
            pool = {"db_pool_size": self.settings.worker_threads + 2, "db_max_overflow": 4}
            settings = self.settings.model_copy(update=pool)
            self._engine = create_engine(self.api_url, settings, application_name=WORKER_APPLICATION)
        return self._engine

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()


def declare_actors(broker: dramatiq.Broker, runtime: Runtime) -> None:
    """Every declared job as a Dramatiq actor of `broker`."""
    for declared in JOBS.values():

        def run_message(*args: Any, _job: Job = declared) -> None:
            message = CurrentMessage.get_current_message()
            assert message is not None, "the CurrentMessage middleware is installed by make_broker"
            get_event_loop_thread().run_coroutine(run(runtime, _job, message, args))  # type: ignore[union-attr]

        run_message.__name__ = declared.name.replace(".", "__")
        dramatiq.actor(
            actor_name=declared.name,
            queue_name=declared.queue,
            broker=broker,
            max_retries=runtime.settings.job_max_retries,
            min_backoff=500,
            max_backoff=60_000,
        )(run_message)


async def run(runtime: Runtime, job: Job, message: Any, args: tuple[Any, ...]) -> None:
    tenant, sequence, event_type, entity, payload = args
    event = JobEvent(
        uuid.UUID(tenant), int(sequence), event_type, None if entity is None else uuid.UUID(entity), payload
    )
    attempt = int(message.options.get("retries", 0))
    deliveries, done = await _count_delivery(runtime.engine, job, message.message_id, attempt, tenant)
    if done:
        log.info("job_done_before", job=job.name, message_id=message.message_id)
        return
    if deliveries > runtime.settings.job_max_deliveries:
        died = f"its worker stopped {deliveries - 1} times while running it"
        await park(runtime.engine, job, message, args, "worker_died", died, attempt, deliveries)
        return
    try:
        async with tenant_transaction(runtime.engine, tenant) as conn:
            if await _done_or_lock(conn, message.message_id):
                log.info("job_done_before", job=job.name, message_id=message.message_id)
                return
            system = Actor(event.tenant_id, None, request_id=f"job:{message.message_id}")
            await job.handler(conn, system, event)
            await conn.execute(  # with the work: committed together, or not at all
                sa.update(job_deliveries)
                .where(job_deliveries.c.message_id == uuid.UUID(message.message_id))
                .where(job_deliveries.c.attempt == attempt)
                .values(done_at=sa.func.now())
            )
        return
    except Exception as exc:  # noqa: BLE001 - kept as its type and place only, raised below
        error = describe(exc)
    # Out of the `except` block: nothing raised from here on carries the error (its
    # message may hold PHI) along as its context.
    log.warning("job_failed", job=job.name, message_id=message.message_id, attempt=attempt, error=error)
    if attempt >= runtime.settings.job_max_retries:
        try:
            await park(runtime.engine, job, message, args, "retries_exhausted", error, attempt, deliveries)
        except Exception as exc:  # noqa: BLE001 - the job's own failure is what is raised
            log.error(
                "job_park_failed", job=job.name, message_id=message.message_id, error_type=type(exc).__name__
            )
    raise JobFailed(error) from None


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
    engine: AsyncEngine,
    job: Job,
    message: Any,
    args: tuple[Any, ...],
    reason: str,
    error: str,
    attempt: int,
    deliveries: int,
) -> None:
    """Keep a job that will not run again in `failed_jobs`, for an admin to see and retry."""
    tenant = args[0]
    async with tenant_transaction(engine, tenant) as conn:
        await conn.execute(
            insert(failed_jobs)
            .values(
                tenant_id=uuid.UUID(tenant),
                message_id=uuid.UUID(message.message_id),
                queue=message.queue_name,
                actor=job.name,
                args=list(args),
                reason=reason,
                error=error,
                attempts=attempt + 1,
                deliveries=deliveries,
            )
            .on_conflict_do_nothing(index_elements=[failed_jobs.c.tenant_id, failed_jobs.c.message_id])
        )
    log.error("job_parked", job=job.name, message_id=message.message_id, reason=reason)
