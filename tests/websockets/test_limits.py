"""Per-user socket and per-socket operation limits, clean ends when a client leaves
mid-tick, and queries, mutations and PHI logging over the legacy protocol."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from app.settings import get_settings
from tests.support import api_connections_idle_in_transaction
from tests.websockets.client import (
    HEARTBEAT,
    LEGACY_WS,
    TRANSPORT_WS,
    auth,
    closed_with,
    initialise,
    open_socket,
    receive,
    send,
)


async def test_one_user_may_hold_only_so_many_sockets(server, tenant_a):
    token = await tenant_a.token("manager")
    limit = get_settings().max_sockets_per_user
    async with contextlib.AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(await open_socket(server, TRANSPORT_WS)) for _ in range(limit)
        ]
        for ws in sockets:
            await initialise(ws, auth(token))
        async with await open_socket(server, TRANSPORT_WS) as extra:
            await send(extra, {"type": "connection_init", "payload": auth(token)})
            code, reason = await closed_with(extra)
            assert code == 4429 and str(limit) in reason
        async with await open_socket(server, LEGACY_WS) as extra:
            await send(extra, {"type": "connection_init", "payload": auth(token)})
            message = await receive(extra)
            assert message["type"] == "connection_error"
            assert message["payload"]["extensions"]["code"] == "TOO_MANY_SOCKETS"
            assert (await closed_with(extra))[0] == 4429
        # Someone else is not held back by this user's sockets.
        async with await open_socket(server, TRANSPORT_WS) as other:
            await initialise(other, auth(await tenant_a.token("viewer")))
        # A socket closed gives its place back.
        await sockets.pop().close()
        await asyncio.sleep(0.2)
        async with await open_socket(server, TRANSPORT_WS) as again:
            await initialise(again, auth(token))


async def test_one_socket_may_run_only_so_many_operations(server, tenant_a):
    token = await tenant_a.token("owner")
    limit = get_settings().max_subscriptions_per_socket
    slow = "subscription { heartbeat(intervalSeconds: 60) { at } }"
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await initialise(ws, auth(token))
        for i in range(limit):
            await send(ws, {"id": str(i), "type": "subscribe", "payload": {"query": slow}})
        for _ in range(limit):
            assert (await receive(ws))["type"] == "next"
        await send(ws, {"id": "over", "type": "subscribe", "payload": {"query": slow}})
        refused = await receive(ws)
        assert refused["id"] == "over" and refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        await send(ws, {"id": "0", "type": "complete"})
        await asyncio.sleep(0.2)
        await send(ws, {"id": "again", "type": "subscribe", "payload": {"query": slow}})
        assert (await receive(ws))["type"] == "next"
    async with await open_socket(server, LEGACY_WS) as ws:
        await initialise(ws, auth(token))
        for i in range(limit):
            await send(ws, {"id": str(i), "type": "start", "payload": {"query": slow}})
        for _ in range(limit):
            assert (await receive(ws))["type"] == "data"
        await send(ws, {"id": "over", "type": "start", "payload": {"query": slow}})
        refused = await receive(ws)
        assert (
            refused["type"] == "error"
            and refused["payload"]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        )


async def test_a_client_leaving_mid_tick_ends_its_subscriptions_cleanly(server, tenant_a, owner_engine):
    token = await tenant_a.token("provider")
    limit = get_settings().max_subscriptions_per_socket
    with structlog.testing.capture_logs() as logs:
        for round_ in range(4):
            ws = await open_socket(server, TRANSPORT_WS)
            await initialise(ws, auth(token))
            for i in range(limit):
                await send(ws, {"id": str(i), "type": "subscribe", "payload": {"query": HEARTBEAT}})
            for _ in range(limit):
                await receive(ws)
            # Leave just as the next tick (one second apart) reads the database.
            await asyncio.sleep(0.9 + round_ * 0.05)
            await ws.close()
        await asyncio.sleep(1.5)
    assert [entry for entry in logs if entry.get("log_level") == "error"] == []
    assert await api_connections_idle_in_transaction(owner_engine) == 0
    # Every socket was given back: the user may open as many as ever.
    sockets = [await open_socket(server, TRANSPORT_WS) for _ in range(get_settings().max_sockets_per_user)]
    for ws in sockets:
        await initialise(ws, auth(token))
        await ws.close()


async def test_queries_and_mutations_over_the_legacy_protocol(server, tenant_a):
    token = await tenant_a.token("owner")
    async with await open_socket(server, LEGACY_WS) as ws:
        await initialise(ws, auth(token))
        await send(
            ws,
            {
                "id": "q",
                "type": "start",
                "payload": {"query": "{ patients(first: 2) { nodes { id firstName } } }"},
            },
        )
        data = await receive(ws)
        assert data["type"] == "data" and "errors" not in data["payload"], data
        patients = data["payload"]["data"]["patients"]["nodes"]
        assert len(patients) == 2 and all(p["firstName"] for p in patients)
        assert await receive(ws) == {"type": "complete", "id": "q"}
        mutation = 'mutation { createOrganization(input: {name: "Over Legacy"}) { organization { name } errors { code } } }'
        await send(ws, {"id": "m", "type": "start", "payload": {"query": mutation}})
        created = await receive(ws)
        assert created["payload"]["data"]["createOrganization"] == {
            "organization": {"name": "Over Legacy"},
            "errors": [],
        }
        assert await receive(ws) == {"type": "complete", "id": "m"}
    found = await tenant_a.query('{ organizations(filter: {search: "Over Legacy"}) { totalCount } }')
    assert found["organizations"]["totalCount"] == 1  # committed, not only answered
    # Logged like the same query over HTTP: one row per patient.
    log = await tenant_a.query("{ phiAccessLog(first: 50) { nodes { patientId fields } } }")
    logged = {row["patientId"] for row in log["phiAccessLog"]["nodes"] if row["fields"] == ["first_name"]}
    assert {p["id"] for p in patients} <= logged


async def test_a_token_of_an_ended_session_opens_no_socket(server, tenant_a):
    login = await tenant_a.login("viewer")
    await tenant_a.client.post(
        "/graphql",
        json={
            "query": "mutation($t: String!) { logout(refreshToken: $t) { ok } }",
            "variables": {"t": login["refreshToken"]},
        },
    )
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": auth(login["accessToken"])})
        assert (await closed_with(ws))[0] == 4403


async def test_a_chunked_body_over_the_limit_is_refused_by_the_real_server(server):
    import httpx

    limit = get_settings().max_body_bytes

    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"query": "{ __typename }", "variables": {"s": "'
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
        yield b'"}}'

    base = server.url.replace("ws://", "http://")
    async with httpx.AsyncClient(timeout=30) as client:
        try:
            response = await client.post(base, content=chunks(), headers={"content-type": "application/json"})
        except httpx.TransportError:
            return  # closed while we were still sending: refused before the body was read
    assert response.status_code == 413
    assert response.request.headers.get("transfer-encoding") == "chunked"


PHI_QUERY = "{ patients(first: 3) { nodes { id lastName } } }"


async def _phi_rows(tenant) -> int:  # type: ignore[no-untyped-def]
    return (await tenant.query("{ phiAccessLog { totalCount } }"))["phiAccessLog"]["totalCount"]


async def test_what_a_client_was_shown_is_committed_before_it_is_sent(server, tenant_a):
    """A client that completes, stops or leaves the moment its result arrives cannot undo
    the PHI access rows of what it read, nor the mutation it was told succeeded."""
    token = await tenant_a.token("owner")
    for protocol, start, stop in ((TRANSPORT_WS, "subscribe", "complete"), (LEGACY_WS, "start", "stop")):
        for leave in ("stop", "close"):
            before = await _phi_rows(tenant_a)
            ws = await open_socket(server, protocol)
            await initialise(ws, auth(token))
            await send(ws, {"id": "q", "type": start, "payload": {"query": PHI_QUERY}})
            shown = await receive(ws)
            if leave == "stop":
                await send(ws, {"id": "q", "type": stop})
            await ws.close()
            rows = len(shown["payload"]["data"]["patients"]["nodes"])
            await asyncio.sleep(0.3)
            assert await _phi_rows(tenant_a) == before + rows, (protocol, leave)
    name = "Shown Then Gone"
    ws = await open_socket(server, TRANSPORT_WS)
    await initialise(ws, auth(token))
    create = f'mutation {{ createOrganization(input: {{name: "{name}"}}) {{ errors {{ code }} }} }}'
    await send(ws, {"id": "m", "type": "subscribe", "payload": {"query": create}})
    assert (await receive(ws))["payload"]["data"]["createOrganization"]["errors"] == []
    await ws.close()
    await asyncio.sleep(0.3)
    found = await tenant_a.query(f'{{ organizations(filter: {{search: "{name}"}}) {{ totalCount }} }}')
    assert found["organizations"]["totalCount"] == 1


TRANSPORT_GARBAGE = [
    1,
    "x",
    None,
    [],
    [1, 2],
    {},
    {"type": 5},
    {"type": "complete", "id": []},
    {"type": "connection_init", "operationName": 5},
]
LEGACY_GARBAGE = [
    1,
    "x",
    None,
    [],
    [1, 2],
    {},
    {"type": "stop"},
    {"type": "stop", "id": {}},
    {"type": 7},
]


async def test_malformed_messages_never_crash_a_socket(server, tenant_a, caplog):
    """Every frame a protocol cannot read gets the protocol's answer, never a crash."""
    import json

    token = await tenant_a.token("owner")
    for frame in TRANSPORT_GARBAGE:
        async with await open_socket(server, TRANSPORT_WS) as ws:
            if frame != {"type": "connection_init", "operationName": 5}:
                await initialise(ws, auth(token))
            await ws.send(json.dumps(frame))
            code, _ = await closed_with(ws)
            assert code == 4400 or frame == {"type": "connection_init", "operationName": 5}, frame
    async with await open_socket(server, LEGACY_WS) as ws:
        await initialise(ws, auth(token))
        for frame in LEGACY_GARBAGE:
            await ws.send(json.dumps(frame))
            assert (await receive(ws))["type"] == "error", frame
        await send(ws, {"id": "q", "type": "start", "payload": {"query": "{ __typename }"}})
        assert (await receive(ws))["payload"] == {"data": {"__typename": "Query"}}
    await asyncio.sleep(0.2)
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
