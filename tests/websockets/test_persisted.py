"""Persisted queries over websockets: a known document by hash alone, and the allow-list
mode refusing any other document with the protocol's `error` message (the socket stays)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.settings import OPERATIONS_DIR, Settings
from tests.websockets.client import LEGACY_WS, TRANSPORT_WS, auth, initialise, open_socket, receive, run, send
from tests.websockets.server import ServerThread, serving

TYPENAME = "{ __typename }"
ORGANIZATIONS = "{ organizations { totalCount } }"


def pq(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(text.encode()).hexdigest()}}


@pytest.fixture(scope="module")
def locked_server(owner_url: str, api_engine, tmp_path_factory) -> Iterator[ServerThread]:  # type: ignore[no-untyped-def]
    documents: Path = tmp_path_factory.mktemp("ws-operations")
    (documents / "Typename.graphql").write_text(TYPENAME)
    settings = Settings(persisted_only=True, persisted_documents=documents)
    with serving(owner_url, api_engine, settings) as thread:
        yield thread


async def subscribe(ws: Any, op_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    await send(ws, {"id": op_id, "type": "subscribe", "payload": payload})
    message = await receive(ws)
    assert message["id"] == op_id, message
    if message["type"] == "next":
        assert await receive(ws) == {"id": op_id, "type": "complete"}
    return message


async def test_a_registered_document_runs_by_hash_alone(server, tenant_a):
    me = (OPERATIONS_DIR / "Me.graphql").read_text()
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await initialise(ws, auth(await tenant_a.token("manager")))
        message = await subscribe(ws, "1", {"extensions": pq(me)})
        assert message["type"] == "next" and message["payload"]["data"]["me"]["roles"] == ["manager"]
        mismatch = await subscribe(ws, "2", {"query": TYPENAME, "extensions": pq(me)})
        assert mismatch["type"] == "error"
        assert mismatch["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
        unknown = await subscribe(ws, "3", {"extensions": pq(TYPENAME + " # never sent")})
        assert unknown["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        assert await run(ws, "4", TYPENAME) == {"data": {"__typename": "Query"}}


async def test_the_allow_list_holds_over_graphql_transport_ws(locked_server, tenant_a):
    async with await open_socket(locked_server, TRANSPORT_WS) as ws:
        await initialise(ws, auth(await tenant_a.token()))
        refused = await subscribe(ws, "1", {"query": ORGANIZATIONS})
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
        by_hash = await subscribe(ws, "2", {"extensions": pq(TYPENAME)})
        assert by_hash["payload"] == {"data": {"__typename": "Query"}}
        assert await run(ws, "3", TYPENAME) == {"data": {"__typename": "Query"}}


async def test_the_allow_list_holds_over_the_legacy_protocol(locked_server, tenant_a):
    async with await open_socket(locked_server, LEGACY_WS) as ws:
        await initialise(ws, auth(await tenant_a.token()))
        await send(ws, {"id": "1", "type": "start", "payload": {"query": ORGANIZATIONS}})
        refused = await receive(ws)
        assert refused["type"] == "error" and refused["id"] == "1"
        assert refused["payload"]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
        await send(ws, {"id": "2", "type": "start", "payload": {"extensions": pq(TYPENAME)}})
        data = await receive(ws)
        assert data == {"id": "2", "type": "data", "payload": {"data": {"__typename": "Query"}}}
