"""graphql-transport-ws: authentication in connection_init, subscriptions and queries, its close codes,
and a context of its own for every operation on a socket."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.support import api_connections_idle_in_transaction, claims_of, sign_token
from tests.websockets.client import (
    HEARTBEAT,
    ORGANIZATIONS,
    TRANSPORT_WS,
    auth,
    closed_with,
    initialise,
    nothing_within,
    open_socket,
    receive,
    run,
    send,
)


async def test_transport_ws_heartbeat_subscription(server, tenant_a):
    token = await tenant_a.token("owner")
    me = await tenant_a.query("{ me { user { id } } }")
    async with await open_socket(server, TRANSPORT_WS) as ws:
        assert ws.subprotocol == TRANSPORT_WS
        await initialise(ws, auth(token))

        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": HEARTBEAT}})
        first = await receive(ws)
        assert first["type"] == "next" and first["id"] == "1", first
        beat = first["payload"]["data"]["heartbeat"]
        assert beat["at"] and "errors" not in first["payload"]
        user_id = beat["userId"]
        assert me["me"]["user"]["id"] == user_id  # a global ID, like every ID in the schema

        second = await receive(ws, within=5)
        assert second["type"] == "next" and second["payload"]["data"]["heartbeat"]["userId"] == user_id

        # The client completes the subscription: no more ticks arrive.
        await send(ws, {"id": "1", "type": "complete"})
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:  # a tick may already be in flight
            try:
                late = await receive(ws, within=0.3)
            except TimeoutError:
                break
            assert late["id"] == "1" and late["type"] in ("next", "complete")
        await nothing_within(ws, 1.6)

        # The connection is still usable.
        await send(ws, {"type": "ping"})
        assert (await receive(ws))["type"] == "pong"


async def test_transport_ws_query_operation(server, tenant_a):
    token = await tenant_a.token("manager")
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await initialise(ws, {"authorization": token})
        await send(
            ws,
            {"id": "q", "type": "subscribe", "payload": {"query": "{ organizations { totalCount } }"}},
        )
        result = await receive(ws)
        assert result == {
            "id": "q",
            "type": "next",
            "payload": {"data": {"organizations": {"totalCount": 3}}},
        }
        assert await receive(ws) == {"id": "q", "type": "complete"}


async def test_transport_ws_token_key_in_payload(server, tenant_a):
    token = await tenant_a.token("viewer")
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await initialise(ws, {"token": token})
        await send(ws, {"id": "h", "type": "subscribe", "payload": {"query": HEARTBEAT}})
        tick = await receive(ws)
        assert tick["type"] == "next" and tick["payload"]["data"]["heartbeat"]["userId"]


@pytest.mark.parametrize(
    "payload",
    [
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer "},
        {"token": "a.b.c"},
        {"Authorization": 42},
        {},
    ],
    ids=["garbage", "empty-bearer", "token-key", "not-a-string", "no-token"],
)
async def test_transport_ws_bad_or_missing_token_closes_4403(server, payload):
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": payload})
        code, reason = await closed_with(ws)
        assert code == 4403, (code, reason)


async def test_transport_ws_expired_token_closes_4403(server, tenant_a):
    claims = await claims_of(tenant_a, "owner")
    now = int(time.time())
    claims.update(iat=now - 3600, exp=now - 10)
    expired = sign_token(claims)
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": auth(expired)})
        code, _ = await closed_with(ws)
        assert code == 4403


async def test_transport_ws_subscribe_without_init_closes_4401(server):
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": HEARTBEAT}})
        code, _ = await closed_with(ws)
        assert code == 4401


async def test_transport_ws_second_init_closes_4429(server, tenant_a):
    token = await tenant_a.token("owner")
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await initialise(ws, auth(token))
        await send(ws, {"type": "connection_init", "payload": auth(token)})
        code, _ = await closed_with(ws)
        assert code == 4429


async def test_transport_ws_deactivated_user_gets_an_error(server, tenant_a):
    """The socket authenticates with the token's signature; the user is checked when a
    subscription starts, so a deactivated user's subscription fails cleanly."""
    viewer_token = await tenant_a.token("viewer")
    found = await tenant_a.query('{ users(filter: { search: "viewer" }) { nodes { id } } }')
    (node,) = found["users"]["nodes"]
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await initialise(ws, auth(viewer_token))
        await tenant_a.query(
            "mutation ($id: ID!) { deactivateUser(id: $id) { errors { code } } }", {"id": node["id"]}
        )
        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": HEARTBEAT}})
        message = await receive(ws)
        assert message["id"] == "1"
        if message["type"] == "next":
            errors = message["payload"]["errors"]
        else:
            assert message["type"] == "error", message
            errors = message["payload"]
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED", errors


async def test_transport_ws_running_subscription_stops_when_user_is_deactivated(server, tenant_a):
    """Each tick re-checks the caller: deactivation ends a subscription already running."""
    viewer_token = await tenant_a.token("viewer")
    found = await tenant_a.query('{ users(filter: { search: "viewer" }) { nodes { id } } }')
    (node,) = found["users"]["nodes"]
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await initialise(ws, auth(viewer_token))
        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": HEARTBEAT}})
        assert (await receive(ws))["type"] == "next"
        await tenant_a.query(
            "mutation ($id: ID!) { deactivateUser(id: $id) { errors { code } } }", {"id": node["id"]}
        )
        codes = []
        for _ in range(3):
            message = await receive(ws, within=5)
            if message["type"] == "next" and "errors" not in message["payload"]:
                continue  # a tick already in flight
            errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            codes = [e["extensions"]["code"] for e in errors]
            break
        assert codes == ["UNAUTHENTICATED"]


async def test_transport_ws_every_operation_checks_the_caller_again(server, tenant_a):
    """The socket's operations share no principal: one that ran before the user was
    deactivated does not let the next one through."""
    viewer_token = await tenant_a.token("viewer")
    found = await tenant_a.query('{ users(filter: { search: "viewer" }) { nodes { id } } }')
    (node,) = found["users"]["nodes"]
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await initialise(ws, auth(viewer_token))
        assert await run(ws, "1", ORGANIZATIONS) == {"data": {"organizations": {"totalCount": 3}}}
        await tenant_a.query(
            "mutation ($id: ID!) { deactivateUser(id: $id) { errors { code } } }", {"id": node["id"]}
        )
        refused = await run(ws, "2", ORGANIZATIONS)
        assert refused.get("data") is None
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]


async def test_transport_ws_operations_after_the_token_expires_are_refused(server, tenant_a):
    claims = await claims_of(tenant_a, "viewer")
    claims["exp"] = int(time.time()) + 2
    short_lived = sign_token(claims)
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await initialise(ws, auth(short_lived))
        assert await run(ws, "1", ORGANIZATIONS) == {"data": {"organizations": {"totalCount": 3}}}
        await asyncio.sleep(max(0.0, claims["exp"] - time.time()) + 0.2)
        refused = await run(ws, "2", ORGANIZATIONS)
        assert refused.get("data") is None
        (error,) = refused["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert "expired" in error["message"]


async def test_refused_subscription_returns_its_database_connection(server, tenant_a, owner_engine):
    session = await tenant_a.login("viewer")  # a session of its own, ended once the socket is open
    before = await api_connections_idle_in_transaction(owner_engine)
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await initialise(ws, auth(session["accessToken"]))
        logout = "mutation($t: String!) { logout(refreshToken: $t) { ok } }"
        await tenant_a.client.post(
            "/graphql", json={"query": logout, "variables": {"t": session["refreshToken"]}}
        )
        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": HEARTBEAT}})
        message = await receive(ws)
        assert message["type"] == "error" and message["id"] == "1", message
        assert message["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        # The socket stays open; the refused operation must not hold a connection.
        deadline = time.monotonic() + 3
        while (held := await api_connections_idle_in_transaction(owner_engine)) > before:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert held == before, f"{held - before} connection(s) left idle in transaction"


@pytest.mark.parametrize("payload", ["x", None, {"query": 7}, {"query": "{ __typename }", "variables": "v"}])
async def test_transport_ws_malformed_subscribe_closes_4400(server, tenant_a, payload):
    token = await tenant_a.token("owner")
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await initialise(ws, auth(token))
        await send(ws, {"id": "1", "type": "subscribe", "payload": payload})
        code, _ = await closed_with(ws)
        assert code == 4400


async def test_transport_ws_messages_with_lone_surrogates_close_4400(server, tenant_a):
    """A lone surrogate (in a token or a variable) is not valid JSON text: the socket closes
    with the protocol's 4400 rather than letting it reach an operation."""
    token = await tenant_a.token("owner")
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": {"Authorization": "\ud800"}})
        code, _ = await closed_with(ws)
        assert code == 4400
    async with await open_socket(server, TRANSPORT_WS) as ws:
        await initialise(ws, auth(token))
        query = "query($q: String) { organizations(filter: {search: $q}) { totalCount } }"
        await send(
            ws, {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"q": "\ud800"}}}
        )
        code, _ = await closed_with(ws)
        assert code == 4400
