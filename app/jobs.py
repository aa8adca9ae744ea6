"""Background jobs: declared by a module in its `actors.py`, run by `medgraph worker`.

    @job("orders.check_submission", on=ORDER_SUBMITTED, batch=100)
    async def check_submission(conn: AsyncConnection, actor: Actor, events: Sequence[JobEvent]) -> None: ...

A job named `module.verb` reacts to a domain event (`on=`): the outbox relay
(app/relay.py) sends it after the event's commit, with the event's tenant, sequence,
type, entity and payload. Those are IDs and codes only (app/events.py allows nothing
else), so no message carries PHI. One message carries up to `batch` events of one tenant,
consecutive in the outbox: when work piles up (a burst of submissions, a worker back
after a pause) a worker takes a hundred at once, in one transaction and a few set-based
statements, rather than a hundred transactions. A handler therefore receives a list of
events, and changes nothing for one whose work is done already.

How a message runs, survives a crash and is parked is app/job_runs.py's.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dramatiq
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.audit import Actor
from app.db import create_engine
from app.events import Event, EventType
from app.settings import Settings

JOB_NAME = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
# An admin asked for a parked job to run again: the relay sends it (app/relay.py).
JOB_RETRIED = EventType("job.retried", "A failed background job was sent again", {"failed_job_id": "id"})
WORKER_APPLICATION = "medgraph-worker"  # the workers' connections, in pg_stat_activity
MESSAGE_NAMESPACE = uuid.UUID("0b5c6c5e-4f8e-4a52-9a55-6d0f5e1f7a10")
MAX_BATCH = 500  # a message's events: what one transaction of a worker may take on


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One domain event a job reacts to, as its message carries it."""

    tenant_id: uuid.UUID
    sequence: int  # 0: sent again without its event (a periodic job's resend)
    type: str
    entity_id: uuid.UUID | None
    payload: dict[str, Any]


Handler = Callable[[AsyncConnection, Actor, Sequence[JobEvent]], Awaitable[None]]


@dataclass(frozen=True)
class Job:
    name: str
    handler: Handler
    on: EventType
    queue: str = "default"
    batch: int = 1


JOBS: dict[str, Job] = {}


def job(name: str, *, on: EventType, queue: str = "default", batch: int = 1) -> Callable[[Handler], Handler]:
    """Declare a job reacting to `on`, given up to `batch` events at a time (see above)."""
    if not JOB_NAME.fullmatch(name):
        raise ValueError(f"job {name!r}: name it `module.verb`")
    if not 1 <= batch <= MAX_BATCH:
        raise ValueError(f"job {name!r}: a batch holds 1 to {MAX_BATCH} events")

    def declare(handler: Handler) -> Handler:
        if name in JOBS and JOBS[name].handler is not handler:
            raise ValueError(f"job {name!r} is declared twice")
        JOBS[name] = Job(name, handler, on, queue, batch)
        return handler

    return declare


def reactions(event_type: str) -> list[Job]:
    return [j for j in JOBS.values() if j.on.name == event_type]


def _message(queue: str, actor: str, args: Sequence[Any], key: str) -> dramatiq.Message[Any]:
    """A message to `actor` on `queue`; its ID is made from `key`, so a message made again
    from the same key is the same message."""
    return dramatiq.Message(
        queue_name=queue,
        actor_name=actor,
        args=tuple(args),
        kwargs={},
        options={},
        message_id=str(uuid.uuid5(MESSAGE_NAMESPACE, key)),
    )


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def messages_for(events: Sequence[Event]) -> list[dramatiq.Message[Any]]:
    """The messages that run every job reacting to `events` (one tenant's, in sequence
    order): per job, consecutive events in messages of up to its batch. A message's ID
    names its job and its first and last events, so a relay that sends a page again (it
    crashed before recording that it had) sends the same messages where the page is the
    same; where it has grown meanwhile, a copy holds events done already, which the
    handler finds done (handlers are idempotent)."""
    assert len({e.tenant_id for e in events}) <= 1, "one tenant's events: a job runs scoped to one tenant"
    messages = []
    for job in {j.name: j for event in events for j in reactions(event.type)}.values():
        mine = [e for e in events if e.type == job.on.name]
        for chunk in _chunks(mine, job.batch):
            carried = [[e.sequence, e.type, _text(e.entity_id), e.payload] for e in chunk]
            tenant = chunk[0].tenant_id
            key = f"{tenant}:{chunk[0].sequence}-{chunk[-1].sequence}:{job.name}"
            messages.append(_message(job.queue, job.name, (str(tenant), carried), key))
    return messages


def messages_again(
    name: str, tenant_id: uuid.UUID, event: EventType, work: Sequence[tuple[uuid.UUID, dict[str, Any], str]]
) -> list[dramatiq.Message[Any]]:
    """A job's messages made again without their events (a periodic job resending work
    that seems lost), for each (entity, payload, key): sequence 0, the payload checked as
    the event's. One message each, its ID from its key, so the same work resent on every
    tick is the same message (a broker that keeps message IDs holds it once; a copy finds
    its work done): a batch's ID would change with whatever else was stuck beside it."""
    job = JOBS[name]
    assert job.on is event, f"{name} reacts to {job.on.name}, not {event.name}"
    return [
        _message(
            job.queue,
            job.name,
            (str(tenant_id), [[0, event.name, str(entity), event.checked(payload)]]),
            f"{tenant_id}:again:{name}:{key}",
        )
        for entity, payload, key in work
    ]


def split_message(message: Any) -> list[dramatiq.Message[Any]]:
    """A message of many events as one message per event, under IDs made from its own:
    the batch failed, so each event runs (and is retried, or parked) alone. Split twice
    (its worker died after sending), the copies find their work done."""
    tenant, events = message.args
    return [
        _message(message.queue_name, message.actor_name, (tenant, [event]), f"{message.message_id}:{index}")
        for index, event in enumerate(events)
    ]


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


def send_all(broker: dramatiq.Broker, messages: Sequence[dramatiq.Message[Any]]) -> None:
    """Enqueue `messages` (blocking: call it off the event loop)."""
    for message in messages:
        broker.enqueue(message)


def job_events(args: Sequence[Any]) -> list[JobEvent]:
    """The events a message's arguments carry: (tenant, [[sequence, type, entity,
    payload], ...]), or one event as (tenant, sequence, type, entity, payload), the shape
    of messages (and parked jobs) from before batches."""
    if len(args) == 5:
        tenant, *event = args
        args = (tenant, [event])
    tenant, events = args
    return [
        JobEvent(
            uuid.UUID(tenant), int(sequence), type_, None if entity is None else uuid.UUID(entity), payload
        )
        for sequence, type_, entity, payload in events
    ]


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


class Turns:
    """Who runs, in one worker process: jobs run side by side (`shared`), except a suspect
    (`alone`): a message whose worker died while it ran waits for the jobs in hand to end,
    and no other job starts until it has. Waiting suspects go first."""

    def __init__(self) -> None:
        self._changed = asyncio.Condition()  # bound to the jobs' event loop when first used
        self._running = 0
        self._alone = False
        self._suspects_waiting = 0

    @contextlib.asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: not self._alone and not self._suspects_waiting)
            self._running += 1
        try:
            yield
        finally:
            async with self._changed:
                self._running -= 1
                self._changed.notify_all()

    @contextlib.asynccontextmanager
    async def alone(self) -> AsyncIterator[None]:
        async with self._changed:
            self._suspects_waiting += 1
            try:
                await self._changed.wait_for(lambda: not self._alone and not self._running)
            finally:
                self._suspects_waiting -= 1
                self._changed.notify_all()  # cancelled while waiting: the jobs behind it go on
            self._alone = True
        try:
            yield
        finally:
            async with self._changed:
                self._alone = False
                self._changed.notify_all()


@dataclass
class Runtime:
    """What the jobs of one worker process share: settings, the broker, whose turn it is
    and, on the worker's event loop, one engine."""

    settings: Settings
    api_url: str
    broker: dramatiq.Broker
    turns: Turns = field(default_factory=Turns)
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
