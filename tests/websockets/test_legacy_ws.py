"""The legacy graphql-ws protocol."""

from __future__ import annotations

import time

from tests.websockets.client import (
    HEARTBEAT,
    LEGACY_WS,
    auth,
    closed_with,
    initialise,
    nothing_within,
    open_socket,
    receive,
    send,
)


async def test_legacy_ws_heartbeat_subscription(server, tenant_a):
    token = await tenant_a.token("owner")
    async with await open_socket(server, LEGACY_WS) as ws:
        assert ws.subprotocol == LEGACY_WS
        await initialise(ws, auth(token))

        await send(ws, {"id": "1", "type": "start", "payload": {"query": HEARTBEAT}})
        data = await receive(ws)
        assert data["type"] == "data" and data["id"] == "1", data
        assert data["payload"]["data"]["heartbeat"]["userId"]

        await send(ws, {"id": "1", "type": "stop"})
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            try:
                late = await receive(ws, within=0.3)
            except TimeoutError:
                break
            assert late["id"] == "1" and late["type"] in ("data", "complete")
        await nothing_within(ws, 1.6)

        await send(ws, {"type": "connection_terminate"})
        code, _ = await closed_with(ws)
        assert code == 1000


async def test_legacy_ws_bad_token_gets_connection_error(server):
    async with await open_socket(server, LEGACY_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": auth("not-a-token")})
        message = await receive(ws)
        assert message["type"] == "connection_error"
        assert message["payload"] == {"message": "Access token is invalid"}
        code, _ = await closed_with(ws)
        assert code == 1011


async def test_legacy_ws_missing_token_gets_connection_error(server):
    async with await open_socket(server, LEGACY_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": {}})
        message = await receive(ws)
        assert message == {"type": "connection_error", "payload": {"message": "Authentication required"}}
        code, _ = await closed_with(ws)
        assert code == 1011


async def test_legacy_ws_start_without_init_closes_4401(server):
    async with await open_socket(server, LEGACY_WS) as ws:
        await send(ws, {"id": "1", "type": "start", "payload": {"query": HEARTBEAT}})
        code, _ = await closed_with(ws)
        assert code == 4401


async def test_legacy_ws_malformed_start_gets_an_error(server, tenant_a):
    token = await tenant_a.token("owner")
    async with await open_socket(server, LEGACY_WS) as ws:
        await initialise(ws, auth(token))
        await send(ws, {"id": "1", "type": "start", "payload": "x"})
        message = await receive(ws)
        assert message == {"type": "error", "id": "1", "payload": {"message": "Invalid message"}}
