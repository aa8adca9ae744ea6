"""One LISTEN connection per API process, fanning committed events out to subscribers.

`async with await hub.subscribe(tenant_id, after=None) as stream:` gives an
`EventStream`, an async iterator of that tenant's events in sequence order (leaving the
block unsubscribes; so does `aclose()`). With `after` (the last sequence a client saw),
it first replays what followed from the outbox, then goes live; without, it starts
at the tenant's latest event. Each stream has a bounded queue: a subscriber that falls
behind is not buffered without end but reads what it missed from the outbox, as does
one that sees a gap in the sequence for any reason (a dropped listener connection,
say). So a stream never skips an event and never repeats one.

Per notification the hub reads the tenant's new events once, in one short tenant-
scoped transaction, however many subscribers that tenant has in this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import run_to_end, tenant_transaction
from app.events import CHANNEL, Event, events_after, last_sequence
from app.logging import get_logger, safe_exception

PAGE = 500
log = get_logger("medgraph.events")


class EventStream:
    """One subscriber's events; leaving `async with` (or `aclose()`) unsubscribes."""

    def __init__(
        self,
        hub: EventHub,
        tenant_id: uuid.UUID,
        cursor: int,
        queue_size: int,
        wants: Callable[[Event], bool] | None = None,
    ) -> None:
        self.hub = hub
        self.tenant_id = tenant_id
        self.cursor = cursor
        self.wants = wants
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(queue_size)
        self._backlog: deque[Event] = deque()
        self._catch_up = False
        self._closed = False

    def __aiter__(self) -> EventStream:
        return self

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    def deliver(self, event: Event) -> None:
        if self.wants is not None and not self.wants(event) and self._caught_up_to(event):
            # Nothing for this subscriber: passed over without waking it (with a thousand
            # subscribers each watching one order, one event would wake them all).
            self.cursor = event.sequence
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._catch_up = True  # read from the outbox instead of buffering

    def catch_up(self) -> None:
        self._catch_up = True

    def _caught_up_to(self, event: Event) -> bool:
        """The event is the very next one and nothing waits before it: skipping it leaves
        no gap for the stream to read from the outbox."""
        return (
            not self._catch_up
            and not self._backlog
            and self._queue.empty()
            and event.sequence == self.cursor + 1
        )

    async def __anext__(self) -> Event:
        while not self._closed:
            if self._backlog:
                event = self._backlog.popleft()
                if event.sequence > self.cursor + 1:
                    # The outbox lacks what lies between (a cursor from before the oldest
                    # event kept): go on from here rather than ask for it again and again.
                    log.warning("event_stream_skipped", after=self.cursor, to=event.sequence)
                if event.sequence > self.cursor:
                    self.cursor = event.sequence
                    return event
                continue
            if self._catch_up:
                self._catch_up = False
                while not self._queue.empty():
                    self._queue.get_nowait()
                missed = await self.hub.read(self.tenant_id, self.cursor)
                # More may wait (a full page), or overflow may have flagged it during the read.
                self._catch_up = self._catch_up or len(missed) == PAGE
                self._backlog.extend(missed)
                continue
            live = await self._queue.get()
            if live is None:
                break
            if live.sequence <= self.cursor:
                continue
            if live.sequence != self.cursor + 1:
                self._catch_up = True  # a gap: the outbox has what lies between
                continue
            self.cursor = live.sequence
            return live
        raise StopAsyncIteration

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self.hub.unsubscribe(self)
            with contextlib.suppress(asyncio.QueueFull):
                self._queue.put_nowait(None)


class _Feed:
    """A tenant's subscribers in this process and how far the hub has read for them."""

    def __init__(self) -> None:
        self.cursor: int | None = None  # unknown until the first subscriber reads the head
        self.streams: set[EventStream] = set()
        self.pumping = False
        self.again = False


class EventHub:
    def __init__(self, engine: AsyncEngine, queue_size: int = 256) -> None:
        self._engine = engine
        self._queue_size = queue_size
        self._feeds: dict[uuid.UUID, _Feed] = {}
        self._listener: Any = None
        self._connecting = asyncio.Lock()
        self._closed = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def subscribe(
        self, tenant_id: uuid.UUID, after: int | None = None, wants: Callable[[Event], bool] | None = None
    ) -> EventStream:
        """A stream of the tenant's events after `after` (the last sequence the client saw),
        or from now on. `wants`: the events the subscriber cares for; others may be passed
        over without waking it (it must still expect them: a replay from the outbox reads
        them all)."""
        await self._listen()  # before reading the head: no commit in between goes unheard
        feed = self._feeds.setdefault(tenant_id, _Feed())  # notifications from now on count
        try:
            head = await run_to_end(self._head(tenant_id))
        except BaseException:
            if not feed.streams:
                self._feeds.pop(tenant_id, None)
            raise
        if feed.cursor is None:
            feed.cursor = head
        start = head if after is None else min(max(after, 0), head)
        stream = EventStream(self, tenant_id, start, self._queue_size, wants)
        feed.streams.add(stream)
        if stream.cursor < feed.cursor:
            stream.catch_up()  # the hub has read past where this stream starts
        self._wake(tenant_id)  # what committed while the head was read
        return stream

    def unsubscribe(self, stream: EventStream) -> None:
        feed = self._feeds.get(stream.tenant_id)
        if feed is not None:
            feed.streams.discard(stream)
            if not feed.streams:
                del self._feeds[stream.tenant_id]

    async def _head(self, tenant_id: uuid.UUID) -> int:
        async with tenant_transaction(self._engine, str(tenant_id)) as conn:
            return await last_sequence(conn)

    async def read(self, tenant_id: uuid.UUID, after: int) -> list[Event]:
        return await run_to_end(self._read(tenant_id, after))

    async def _read(self, tenant_id: uuid.UUID, after: int) -> list[Event]:
        async with tenant_transaction(self._engine, str(tenant_id)) as conn:
            return await events_after(conn, after, PAGE)

    async def close(self) -> None:
        self._closed = True
        for feed in list(self._feeds.values()):
            for stream in list(feed.streams):
                await stream.aclose()
        if self._listener is not None:
            listener, self._listener = self._listener, None
            with contextlib.suppress(Exception):
                await listener.close()
        for task in list(self._tasks):
            task.cancel()

    # The listener connection

    async def _listen(self) -> None:
        async with self._connecting:
            if self._listener is not None and not self._listener.is_closed():
                return
            url = self._engine.url.set(drivername="postgresql")
            listener = await asyncpg.connect(url.render_as_string(hide_password=False))
            listener.add_termination_listener(self._lost)
            await listener.add_listener(CHANNEL, self._notified)
            self._listener = listener

    def _lost(self, _: Any) -> None:
        """The listener connection dropped: reconnect, then read whatever was missed."""
        self._listener = None
        if not self._closed:
            self._spawn(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.5
        while not self._closed:
            try:
                await self._listen()
            except Exception as exc:  # noqa: BLE001 - whatever broke, keep trying
                log.warning("event_listener_reconnect_failed", error=safe_exception(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            for tenant_id in list(self._feeds):
                self._wake(tenant_id)
            return

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            self._wake(uuid.UUID(payload))

    # Reading and handing out

    def _wake(self, tenant_id: uuid.UUID) -> None:
        feed = self._feeds.get(tenant_id)
        if feed is None or feed.cursor is None:
            return  # no subscriber, or one that is reading the head and wakes it after
        if feed.pumping:
            feed.again = True  # read once more when the current read is done
            return
        feed.pumping = True
        self._spawn(self._pump(tenant_id, feed))

    async def _pump(self, tenant_id: uuid.UUID, feed: _Feed) -> None:
        delay = 0.1
        while feed.streams and not self._closed:
            try:
                feed.again = False
                events = await self.read(tenant_id, feed.cursor or 0)
            except Exception as exc:  # noqa: BLE001 - the database may be back in a moment
                log.warning("event_read_failed", error=safe_exception(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            delay = 0.1
            for event in events:
                feed.cursor = event.sequence
                for stream in list(feed.streams):
                    stream.deliver(event)
            if not feed.again and len(events) < PAGE:
                break
        feed.pumping = False

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
