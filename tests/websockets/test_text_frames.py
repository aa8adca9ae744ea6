"""Both protocols' messages are JSON in text frames: a binary frame is refused by clients
that read a text frame as the JSON (the graphql-ws reference client among them)."""

from __future__ import annotations

import asyncio

from tests.websockets.client import LEGACY_WS, TIMEOUT, TRANSPORT_WS, auth, open_socket, send


async def test_messages_are_text_frames(server, tenant_a):
    token = await tenant_a.token()
    for protocol in (TRANSPORT_WS, LEGACY_WS):
        ws = await open_socket(server, protocol)
        await send(ws, {"type": "connection_init", "payload": auth(token)})
        frame = await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert isinstance(frame, str) and '"connection_ack"' in frame, (protocol, frame)
        await ws.close()
