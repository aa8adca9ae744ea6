"""Subprotocol negotiation and origin checks at the websocket handshake."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.client import connect

from tests.websockets.client import (
    TIMEOUT,
    TRANSPORT_WS,
    closed_with,
    open_socket,
)


async def test_unknown_subprotocol_closes_4406(server):
    async with await open_socket(server, "graphql-unknown") as ws:
        assert ws.subprotocol is None
        code, reason = await closed_with(ws)
        assert code == 4406, (code, reason)


async def test_no_subprotocol_closes_4406(server):
    async with await open_socket(server) as ws:
        code, _ = await closed_with(ws)
        assert code == 4406


async def test_cross_origin_handshake_is_refused(server):
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as info:
        await asyncio.wait_for(
            connect(
                server.url,
                subprotocols=[TRANSPORT_WS],
                origin="https://evil.example",  # type: ignore[arg-type]
                open_timeout=TIMEOUT,
            ),
            TIMEOUT,
        )
    assert info.value.response.status_code == 403
