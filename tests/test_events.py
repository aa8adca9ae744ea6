"""Domain events against the real database: recorded with the change or not at all,
numbered in commit order without gaps, announced by one NOTIFY after commit, and handed
to subscribers by the hub, which replays what a resuming subscriber missed."""

from __future__ import annotations

import asyncio
import random
import uuid

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit import Actor
from app.db import tenant_transaction
from app.event_hub import EventHub
from app.events import CHANNEL, EventPayloadError, EventType, emit, events_after
from medgraph.installed import INSTALLED_MODULES
from modules.tenancy import events as ev
from schema.relay import to_global_id
from tests.support import Tenant

DEACTIVATE = "mutation($id: ID!) { deactivateUser(id: $id) { user { isActive } errors { code } } }"
USER_ID = "query($email: String) { users(filter: {search: $email}) { nodes { id } } }"


async def _events(engine: AsyncEngine, tenant: Tenant, after: int = 0) -> list:
    async with tenant_transaction(engine, str(tenant.id)) as conn:
        return await events_after(conn, after)


def contiguous(after: int, events: list) -> bool:
    """Whether `events` continue exactly from `after` (what a resuming reader relies on)."""
    return [e.sequence for e in events] == list(range(after + 1, after + 1 + len(events)))


async def _user_id(tenant: Tenant, role: str) -> str:
    data = await tenant.query(USER_ID, {"email": tenant.email(role)})
    return data["users"]["nodes"][0]["id"]


async def test_a_mutation_records_its_event_and_a_refused_one_none(api_engine, tenant_a):
    before = await _events(api_engine, tenant_a)
    owner = await tenant_a.query("{ me { user { id } } }")
    refused = await tenant_a.query(DEACTIVATE, {"id": owner["me"]["user"]["id"]})
    assert refused["deactivateUser"]["errors"] == [{"code": "INVALID"}]
    assert await _events(api_engine, tenant_a) == before

    viewer = await _user_id(tenant_a, "viewer")
    await tenant_a.query(DEACTIVATE, {"id": viewer})
    events = await _events(api_engine, tenant_a, before[-1].sequence if before else 0)
    assert [(e.type, to_global_id(e.entity_type, e.entity_id)) for e in events] == [
        ("user.deactivated", viewer)
    ]
    assert events[0].actor_user_id is not None and events[0].payload == {}


async def test_a_rolled_back_transaction_leaves_no_event(api_engine, tenant_a):
    before = await _events(api_engine, tenant_a)
    with pytest.raises(RuntimeError):
        async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
            await emit(conn, Actor(tenant_a.id, None), ev.USER_CREATED, "User", uuid.uuid4())
            raise RuntimeError("the change fails after its event was written")
    assert await _events(api_engine, tenant_a) == before


async def test_one_notify_per_committed_transaction_and_none_for_a_rollback(api_engine, tenant_a):
    heard: asyncio.Queue[str] = asyncio.Queue()
    url = api_engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    listener = await asyncpg.connect(url)
    await listener.add_listener(CHANNEL, lambda *args: heard.put_nowait(args[-1]))
    try:
        async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
            for _ in range(3):
                await emit(conn, Actor(tenant_a.id, None), ev.USER_CREATED, "User", uuid.uuid4())
            await asyncio.sleep(0.2)
            assert heard.empty()  # nothing before commit
        assert await asyncio.wait_for(heard.get(), 5) == str(tenant_a.id)
        with pytest.raises(RuntimeError):
            async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
                await emit(conn, Actor(tenant_a.id, None), ev.USER_CREATED, "User", uuid.uuid4())
                raise RuntimeError
        await asyncio.sleep(0.3)
        assert heard.empty()
    finally:
        await listener.close()


async def test_concurrent_writers_leave_no_gap_a_resuming_reader_can_see(api_engine, tenant_a):
    """Writers commit in random order with random delays (some roll back) while a reader
    resumes again and again from the last sequence it saw: every read continues exactly
    where the previous one stopped, and in the end every committed event is there once."""
    start = (await _events(api_engine, tenant_a))[-1:]
    cursor = start[0].sequence if start else 0
    committed = 0
    stop = asyncio.Event()

    async def writer(n: int) -> None:
        nonlocal committed
        for i in range(6):
            try:
                async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
                    await emit(conn, Actor(tenant_a.id, None), ev.USER_CREATED, "User", uuid.uuid4())
                    await asyncio.sleep(random.uniform(0, 0.02))
                    if (n + i) % 5 == 0:
                        raise RuntimeError("rolled back")
                    await emit(conn, Actor(tenant_a.id, None), ev.USER_DEACTIVATED, "User", uuid.uuid4())
                committed += 2
            except RuntimeError:
                pass

    async def reader() -> list[int]:
        nonlocal cursor
        seen: list[int] = []
        while True:
            finished = stop.is_set()  # before the read: a read after the last commit ends it
            batch = await _events(api_engine, tenant_a, cursor)
            assert contiguous(cursor, batch), (cursor, [e.sequence for e in batch])
            if batch:
                cursor = batch[-1].sequence
                seen += [e.sequence for e in batch]
            elif finished:
                return seen
            await asyncio.sleep(0.005)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(n) for n in range(8)))
    stop.set()
    seen = await reading
    assert len(seen) == committed and committed > 0
    assert seen == list(range(seen[0], seen[0] + committed))


async def test_the_hub_hands_committed_events_to_subscribers_and_replays_after_a_cursor(api_engine, tenant_a):
    hub = EventHub(api_engine, queue_size=4)
    try:
        live = await hub.subscribe(tenant_a.id)
        viewer = await _user_id(tenant_a, "viewer")
        await tenant_a.query(DEACTIVATE, {"id": viewer})
        event = await asyncio.wait_for(anext(live), 5)
        assert (event.type, to_global_id("User", event.entity_id)) == ("user.deactivated", viewer)

        # More events than the queue holds: the stream reads the rest from the outbox.
        async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
            for _ in range(10):
                await emit(conn, Actor(tenant_a.id, None), ev.USER_CREATED, "User", uuid.uuid4())
        burst = [await asyncio.wait_for(anext(live), 5) for _ in range(10)]
        assert [e.sequence for e in burst] == list(range(event.sequence + 1, event.sequence + 11))

        # A subscriber resuming from a cursor first gets what it missed, then live events.
        resumed = await hub.subscribe(tenant_a.id, after=event.sequence)
        replayed = [await asyncio.wait_for(anext(resumed), 5) for _ in range(10)]
        assert [e.sequence for e in replayed] == [e.sequence for e in burst]
        async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
            await emit(conn, Actor(tenant_a.id, None), ev.USER_CREATED, "User", uuid.uuid4())
        assert (await asyncio.wait_for(anext(resumed), 5)).sequence == burst[-1].sequence + 1
        await live.aclose()
        await resumed.aclose()
    finally:
        await hub.close()


async def test_another_tenants_events_never_reach_a_subscriber(api_engine, tenant_a, tenant_b):
    hub = EventHub(api_engine)
    try:
        stream = await hub.subscribe(tenant_a.id)
        async with tenant_transaction(api_engine, str(tenant_b.id)) as conn:
            await emit(conn, Actor(tenant_b.id, None), ev.USER_CREATED, "User", uuid.uuid4())
        async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
            await emit(conn, Actor(tenant_a.id, None), ev.USER_DEACTIVATED, "User", uuid.uuid4())
        event = await asyncio.wait_for(anext(stream), 5)
        assert (event.tenant_id, event.type) == (tenant_a.id, "user.deactivated")
        # Row-level security: tenant B's events are not even readable in tenant A's scope.
        assert all(e.tenant_id == tenant_a.id for e in await _events(api_engine, tenant_a))
    finally:
        await hub.close()


async def test_the_api_role_cannot_change_or_delete_events(api_engine, tenant_a):
    async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
        await emit(conn, Actor(tenant_a.id, None), ev.USER_CREATED, "User", uuid.uuid4())
    for statement in ("UPDATE domain_events SET type = 'x.y'", "DELETE FROM domain_events"):
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
                await conn.execute(sa.text(statement))


def test_payloads_carry_only_the_keys_and_kinds_their_type_declares():
    granted = EventType(
        "x.granted", "test", {"facility_id": "id", "role": "code", "ids": "ids", "n": "count"}
    )
    ok = granted.checked(
        {"facility_id": uuid.UUID(int=1), "role": "member", "ids": [uuid.UUID(int=2)] * 50, "n": 3}
    )
    assert ok == {
        "facility_id": str(uuid.UUID(int=1)),
        "role": "member",
        "ids": [str(uuid.UUID(int=2))] * 50,
        "n": 3,
    }
    for bad in (
        {"last_name": "Smith"},  # a key the type does not declare
        {"facility_id": "Smith"},  # not an ID
        {"role": "Ada Lovelace"},  # not a code
        {"n": 1.5},
        {"ids": ["x"]},
    ):
        with pytest.raises(EventPayloadError):
            granted.checked(bad)
    with pytest.raises(ValueError):
        EventType("Not A Type", "x")


def test_every_event_type_a_module_defines_is_in_its_manifest():
    from modules.tenancy import MODULE

    defined = {value.name for value in vars(ev).values() if isinstance(value, EventType)}
    assert defined == {e.name for e in MODULE.events}
    assert len({e.name for m in INSTALLED_MODULES for e in m.events}) == sum(
        len(m.events) for m in INSTALLED_MODULES
    )
