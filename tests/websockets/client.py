"""The websocket client side of the tests: open a socket, send, receive, wait for a close."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

if TYPE_CHECKING:
    from tests.websockets.server import ServerThread


TIMEOUT = 10.0
TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
HEARTBEAT = "subscription { heartbeat(intervalSeconds: 1) { at userId } }"
ORGANIZATIONS = "{ organizations { totalCount } }"


async def open_socket(server: ServerThread, *subprotocols: str) -> ClientConnection:
    return await asyncio.wait_for(
        connect(server.url, subprotocols=list(subprotocols) or None, open_timeout=TIMEOUT), TIMEOUT
    )


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await asyncio.wait_for(ws.send(json.dumps(message)), TIMEOUT)


async def receive(ws: ClientConnection, within: float = TIMEOUT) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), within))


async def closed_with(ws: ClientConnection) -> tuple[int | None, str | None]:
    """Wait for the server to close the socket; return its close code and reason,
    failing if it sends anything else first."""
    try:
        message = await asyncio.wait_for(ws.recv(), TIMEOUT)
    except ConnectionClosed as exc:
        assert exc.rcvd is not None, "closed without a close frame"
        return exc.rcvd.code, exc.rcvd.reason
    raise AssertionError(f"expected the socket to close, got {message!r}")


async def nothing_within(ws: ClientConnection, seconds: float) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.recv(), seconds)


async def initialise(ws: ClientConnection, payload: dict[str, Any]) -> None:
    """connection_init with this payload, and the server's acknowledgement."""
    await send(ws, {"type": "connection_init", "payload": payload})
    assert (await receive(ws))["type"] == "connection_ack"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def run(ws: ClientConnection, op_id: str, query: str) -> dict[str, Any]:
    """One query operation over graphql-transport-ws: its result payload (data or errors)."""
    await send(ws, {"id": op_id, "type": "subscribe", "payload": {"query": query}})
    message = await receive(ws)
    assert message["id"] == op_id, message
    if message["type"] == "error":
        return {"errors": message["payload"]}
    assert message["type"] == "next", message
    assert await receive(ws) == {"id": op_id, "type": "complete"}
    return message["payload"]
