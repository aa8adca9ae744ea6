"""Subscriptions over real websockets: a uvicorn server in a background thread, and the
`websockets` client speaking graphql-transport-ws and the legacy graphql-ws protocol.

The server thread runs its own event loop, so it gets its own app and engine: an
engine is bound to the loop its connections were made on.
"""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.settings import get_settings
from tests.support import api_connections_idle_in_transaction

TIMEOUT = 10.0
TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
HEARTBEAT = "subscription { heartbeat(intervalSeconds: 1) { at userId } }"


class ServerThread:
    def __init__(self, owner_url: str) -> None:
        self.owner_url = owner_url
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server: uvicorn.Server | None = None
        self.error: BaseException | None = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="uvicorn-ws-test", daemon=True)

    def _run(self) -> None:
        try:
            from app.asgi import create_app
            from app.db import api_url_for

            settings = get_settings()
            app = create_app(settings, api_url_for(self.owner_url, settings))
            config = uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", ws="websockets-sansio"
            )
            self.server = uvicorn.Server(config)
            self.ready.set()
            asyncio.run(self._serve())
        except BaseException as exc:  # noqa: BLE001 - reported to the fixture
            self.error = exc
            self.ready.set()

    async def _serve(self) -> None:
        assert self.server is not None
        await self.server.serve(sockets=[self.sock])
        # Collect what the connections left behind while this loop can still close it.
        gc.collect()
        await asyncio.sleep(0)

    def start(self) -> None:
        self.thread.start()
        assert self.ready.wait(TIMEOUT), "server thread did not start"
        deadline = time.monotonic() + TIMEOUT
        while not (self.server and self.server.started):
            if self.error is not None:
                raise RuntimeError("uvicorn failed to start") from self.error
            assert time.monotonic() < deadline, "uvicorn did not start in time"
            time.sleep(0.02)

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        self.thread.join(TIMEOUT)
        self.sock.close()
        assert not self.thread.is_alive(), "uvicorn did not stop in time"

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"


@pytest.fixture(scope="module")
def server(owner_url: str, api_engine) -> Iterator[ServerThread]:  # type: ignore[no-untyped-def]
    thread = ServerThread(owner_url)
    thread.start()
    try:
        yield thread
    finally:
        thread.stop()
        # The server's create_app pointed the pool gauges at its engine; point them back.
        from app.metrics import observe_pool

        observe_pool(api_engine)


async def _open(server: ServerThread, *subprotocols: str) -> ClientConnection:
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


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- graphql-transport-ws -------------------------------------------------------------


async def test_transport_ws_heartbeat_subscription(server, tenant_a):
    token = await tenant_a.token("owner")
    me = await tenant_a.query("{ me { user { id } } }")
    async with await _open(server, TRANSPORT_WS) as ws:
        assert ws.subprotocol == TRANSPORT_WS
        await send(ws, {"type": "connection_init", "payload": _auth(token)})
        assert (await receive(ws))["type"] == "connection_ack"

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
    async with await _open(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": {"authorization": token}})
        assert (await receive(ws))["type"] == "connection_ack"
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
    async with await _open(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": {"token": token}})
        assert (await receive(ws))["type"] == "connection_ack"
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
    async with await _open(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": payload})
        code, reason = await closed_with(ws)
        assert code == 4403, (code, reason)


async def test_transport_ws_expired_token_closes_4403(server, tenant_a):
    import jwt

    settings = get_settings()
    claims = jwt.decode(await tenant_a.token("owner"), options={"verify_signature": False})
    now = int(time.time())
    claims.update(iat=now - 3600, exp=now - 10)
    expired = jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
    async with await _open(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": _auth(expired)})
        code, _ = await closed_with(ws)
        assert code == 4403


async def test_transport_ws_subscribe_without_init_closes_4401(server):
    async with await _open(server, TRANSPORT_WS) as ws:
        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": HEARTBEAT}})
        code, _ = await closed_with(ws)
        assert code == 4401


async def test_transport_ws_second_init_closes_4429(server, tenant_a):
    token = await tenant_a.token("owner")
    async with await _open(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": _auth(token)})
        assert (await receive(ws))["type"] == "connection_ack"
        await send(ws, {"type": "connection_init", "payload": _auth(token)})
        code, _ = await closed_with(ws)
        assert code == 4429


async def test_transport_ws_deactivated_user_gets_an_error(server, tenant_a):
    """The socket authenticates with the token's signature; the user is checked when a
    subscription starts, so a deactivated user's subscription fails cleanly."""
    viewer_token = await tenant_a.token("viewer")
    found = await tenant_a.query('{ users(filter: { search: "viewer" }) { nodes { id } } }')
    (node,) = found["users"]["nodes"]
    async with await _open(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": _auth(viewer_token)})
        assert (await receive(ws))["type"] == "connection_ack"
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
    async with await _open(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": _auth(viewer_token)})
        assert (await receive(ws))["type"] == "connection_ack"
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


ORGANIZATIONS = "{ organizations { totalCount } }"


async def _run(ws: ClientConnection, op_id: str, query: str) -> dict[str, Any]:
    """One query operation over graphql-transport-ws: its result payload (data or errors)."""
    await send(ws, {"id": op_id, "type": "subscribe", "payload": {"query": query}})
    message = await receive(ws)
    assert message["id"] == op_id, message
    if message["type"] == "error":
        return {"errors": message["payload"]}
    assert message["type"] == "next", message
    assert await receive(ws) == {"id": op_id, "type": "complete"}
    return message["payload"]


async def test_transport_ws_every_operation_checks_the_caller_again(server, tenant_a):
    """The socket's operations share no principal: one that ran before the user was
    deactivated does not let the next one through."""
    viewer_token = await tenant_a.token("viewer")
    found = await tenant_a.query('{ users(filter: { search: "viewer" }) { nodes { id } } }')
    (node,) = found["users"]["nodes"]
    async with await _open(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": _auth(viewer_token)})
        assert (await receive(ws))["type"] == "connection_ack"
        assert await _run(ws, "1", ORGANIZATIONS) == {"data": {"organizations": {"totalCount": 3}}}
        await tenant_a.query(
            "mutation ($id: ID!) { deactivateUser(id: $id) { errors { code } } }", {"id": node["id"]}
        )
        refused = await _run(ws, "2", ORGANIZATIONS)
        assert refused.get("data") is None
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]


async def test_transport_ws_operations_after_the_token_expires_are_refused(server, tenant_a):
    import jwt

    claims = jwt.decode(await tenant_a.token("viewer"), options={"verify_signature": False})
    claims["exp"] = int(time.time()) + 2
    short_lived = jwt.encode(claims, get_settings().jwt_secret, algorithm="HS256")
    async with await _open(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": _auth(short_lived)})
        assert (await receive(ws))["type"] == "connection_ack"
        assert await _run(ws, "1", ORGANIZATIONS) == {"data": {"organizations": {"totalCount": 3}}}
        await asyncio.sleep(max(0.0, claims["exp"] - time.time()) + 0.2)
        refused = await _run(ws, "2", ORGANIZATIONS)
        assert refused.get("data") is None
        (error,) = refused["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert "expired" in error["message"]


async def test_refused_subscription_returns_its_database_connection(server, owner_engine):
    import jwt

    settings = get_settings()
    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "sub": str(uuid.uuid4()),
        "tid": str(uuid.uuid4()),
        "roles": [],
        "typ": "access",
        "iat": now,
        "exp": now + 600,
    }
    token = jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
    before = await api_connections_idle_in_transaction(owner_engine)
    async with await _open(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": _auth(token)})
        assert (await receive(ws))["type"] == "connection_ack"
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


# --- graphql-ws (legacy) --------------------------------------------------------------


async def test_legacy_ws_heartbeat_subscription(server, tenant_a):
    token = await tenant_a.token("owner")
    async with await _open(server, LEGACY_WS) as ws:
        assert ws.subprotocol == LEGACY_WS
        await send(ws, {"type": "connection_init", "payload": _auth(token)})
        assert (await receive(ws))["type"] == "connection_ack"

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
    async with await _open(server, LEGACY_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": _auth("not-a-token")})
        message = await receive(ws)
        assert message["type"] == "connection_error"
        assert message["payload"] == {"message": "Access token is invalid"}
        code, _ = await closed_with(ws)
        assert code == 1011


async def test_legacy_ws_missing_token_gets_connection_error(server):
    async with await _open(server, LEGACY_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": {}})
        message = await receive(ws)
        assert message == {"type": "connection_error", "payload": {"message": "Authentication required"}}
        code, _ = await closed_with(ws)
        assert code == 1011


async def test_legacy_ws_start_without_init_closes_4401(server):
    async with await _open(server, LEGACY_WS) as ws:
        await send(ws, {"id": "1", "type": "start", "payload": {"query": HEARTBEAT}})
        code, _ = await closed_with(ws)
        assert code == 4401


# --- subprotocol negotiation ----------------------------------------------------------


async def test_unknown_subprotocol_closes_4406(server):
    async with await _open(server, "graphql-unknown") as ws:
        assert ws.subprotocol is None
        code, reason = await closed_with(ws)
        assert code == 4406, (code, reason)


async def test_no_subprotocol_closes_4406(server):
    async with await _open(server) as ws:
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


@pytest.mark.parametrize("payload", ["x", None, {"query": 7}, {"query": "{ __typename }", "variables": "v"}])
async def test_transport_ws_malformed_subscribe_closes_4400(server, tenant_a, payload):
    token = await tenant_a.token("owner")
    async with await _open(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": _auth(token)})
        assert (await receive(ws))["type"] == "connection_ack"
        await send(ws, {"id": "1", "type": "subscribe", "payload": payload})
        code, _ = await closed_with(ws)
        assert code == 4400


async def test_transport_ws_messages_with_lone_surrogates_close_4400(server, tenant_a):
    """A lone surrogate (in a token or a variable) is not valid JSON text: the socket closes
    with the protocol's 4400 rather than letting it reach an operation."""
    token = await tenant_a.token("owner")
    async with await _open(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": {"Authorization": "\ud800"}})
        code, _ = await closed_with(ws)
        assert code == 4400
    async with await _open(server, TRANSPORT_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": _auth(token)})
        assert (await receive(ws))["type"] == "connection_ack"
        query = "query($q: String) { organizations(filter: {search: $q}) { totalCount } }"
        await send(
            ws, {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"q": "\ud800"}}}
        )
        code, _ = await closed_with(ws)
        assert code == 4400


async def test_legacy_ws_malformed_start_gets_an_error(server, tenant_a):
    token = await tenant_a.token("owner")
    async with await _open(server, LEGACY_WS) as ws:
        await send(ws, {"type": "connection_init", "payload": _auth(token)})
        assert (await receive(ws))["type"] == "connection_ack"
        await send(ws, {"id": "1", "type": "start", "payload": "x"})
        message = await receive(ws)
        assert message == {"type": "error", "id": "1", "payload": {"message": "Invalid start message"}}
