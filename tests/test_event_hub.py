"""The event hub under the races a live process meets: commits while a subscriber joins,
overflow while a stream catches up, failed reads, a dropped listener connection, a
cursor from before the outbox begins, and subscribers that leave."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa

import app.event_hub as event_hub
from app.audit import Actor
from app.db import tenant_transaction
from app.event_hub import EventHub
from app.events import emit
from modules.tenancy.events import USER_CREATED

CREATE_ROLE = (
    "mutation($k: String!) { createRole(input: {key: $k, name: $k}) { role { key } errors { code } } }"
)
CREATE_USER = """mutation($roles: [String!]) { createUser(input: {email: "many@x.test", fullName: "Many Roles",
  password: "a-long-password-1", roles: $roles}) { user { id } errors { field code } } }"""


async def _emit(engine, tenant, n=1):
    async with tenant_transaction(engine, str(tenant.id)) as conn:
        for _ in range(n):
            await emit(conn, Actor(tenant.id, None), USER_CREATED, "User", uuid.uuid4())


async def test_an_event_committed_while_a_subscriber_joins_is_delivered(api_engine, tenant_a, monkeypatch):
    real = event_hub.last_sequence

    async def head_then_commit(conn):
        head = await real(conn)
        await _emit(api_engine, tenant_a)  # another request commits now
        await asyncio.sleep(0.3)
        return head

    hub = EventHub(api_engine)
    try:
        monkeypatch.setattr(event_hub, "last_sequence", head_then_commit)
        stream = await hub.subscribe(tenant_a.id)
        monkeypatch.setattr(event_hub, "last_sequence", real)
        assert (await asyncio.wait_for(anext(stream), 3)).type == "user.created"
    finally:
        await hub.close()


async def test_overflow_during_a_catch_up_read_is_not_lost(api_engine, tenant_a):
    await _emit(api_engine, tenant_a, 2)
    hub = EventHub(api_engine, queue_size=2)
    real_read = hub.read
    injected = False

    async def read(tenant_id, after):
        nonlocal injected
        events = await real_read(tenant_id, after)
        if not injected:
            injected = True
            await _emit(api_engine, tenant_a, 5)  # committed while this read is in flight
            await asyncio.sleep(0.5)  # the pump delivers them: 2 queued, 3 past the queue
        return events

    hub.read = read  # type: ignore[method-assign]
    try:
        stream = await hub.subscribe(tenant_a.id)
        head = stream.cursor
        stream.cursor = head - 1  # resume one back: catch up first
        stream.catch_up()
        got = [(await asyncio.wait_for(anext(stream), 3)).sequence for _ in range(6)]
        assert got == list(range(head, head + 6))
    finally:
        await hub.close()


async def test_leaving_the_block_unsubscribes(api_engine, tenant_a):
    hub = EventHub(api_engine)
    try:
        async with await hub.subscribe(tenant_a.id) as stream:
            await _emit(api_engine, tenant_a)
            async for _event in stream:
                break
        assert tenant_a.id not in hub._feeds
    finally:
        await hub.close()


async def test_a_failed_read_is_retried(api_engine, tenant_a):
    hub = EventHub(api_engine)
    real_read = hub.read
    failed = False

    async def read(tenant_id, after):
        nonlocal failed
        if not failed:
            failed = True
            raise OSError("connection reset")
        return await real_read(tenant_id, after)

    try:
        stream = await hub.subscribe(tenant_a.id)
        hub.read = read  # type: ignore[method-assign]
        await _emit(api_engine, tenant_a)
        assert (await asyncio.wait_for(anext(stream), 3)).type == "user.created"
    finally:
        await hub.close()


async def test_the_listener_reconnects_and_catches_up(api_engine, owner_engine, tenant_a):
    hub = EventHub(api_engine)
    try:
        stream = await hub.subscribe(tenant_a.id)
        pid = hub._listener.get_server_pid()
        async with owner_engine.connect() as conn:
            await conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            await conn.commit()
        await _emit(api_engine, tenant_a)  # while the listener is down
        assert (await asyncio.wait_for(anext(stream), 5)).type == "user.created"
    finally:
        await hub.close()


async def test_a_cursor_before_the_outbox_begins_does_not_spin(api_engine, tenant_a):
    await _emit(api_engine, tenant_a, 3)
    hub = EventHub(api_engine)
    real_read = hub.read
    calls = 0

    async def read(tenant_id, after):
        nonlocal calls
        calls += 1
        return await real_read(tenant_id, after)

    hub.read = read  # type: ignore[method-assign]
    try:
        stream = await hub.subscribe(tenant_a.id, after=-1)
        got = [(await asyncio.wait_for(anext(stream), 2)).sequence for _ in range(3)]
        assert got[0] >= 1 and got == list(range(got[0], got[0] + 3))
        stream.cursor = -5  # as if the oldest events had been pruned away
        stream.catch_up()
        assert (await asyncio.wait_for(anext(stream), 2)).sequence == 1
        assert calls < 5
    finally:
        await hub.close()


async def test_a_user_can_be_given_more_roles_than_a_payload_list_once_held(tenant_a):
    keys = [f"r{i:02d}" for i in range(33)]
    for key in keys:
        assert (await tenant_a.query(CREATE_ROLE, {"k": key}))["createRole"]["errors"] == []
    result = await tenant_a.raw(CREATE_USER, {"roles": keys})
    assert "errors" not in result, result["errors"]
    assert result["data"]["createUser"]["errors"] == []


async def test_events_a_subscriber_does_not_want_pass_it_by_without_a_gap(api_engine, tenant_a):
    """A stream told what it wants is not woken by the rest, and skips no wanted event:
    with a thousand subscribers each watching one order, an event wakes one of them."""
    wanted = uuid.uuid4()
    hub = EventHub(api_engine)
    try:
        stream = await hub.subscribe(tenant_a.id, wants=lambda e: e.entity_id == wanted)
        start = stream.cursor
        await _emit(api_engine, tenant_a, 3)  # none for it
        async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
            await emit(conn, Actor(tenant_a.id, None), USER_CREATED, "User", wanted)
        event = await asyncio.wait_for(anext(stream), 3)
        assert (event.entity_id, event.sequence) == (wanted, start + 4)
        assert stream._queue.empty() and not stream._catch_up  # the three never queued, no outbox read
    finally:
        await hub.close()
