"""Request bodies over MEDGRAPH_MAX_BODY_BYTES are answered 413 before they are read
whole: at once when the declared length is too large, as soon as the count passes the
limit when the body comes in chunks."""

from __future__ import annotations

from typing import Any

import orjson

from app.body_limit import BodySizeLimit
from app.settings import get_settings


class _Recorder:
    """An ASGI peer that feeds body chunks and keeps what the middleware sends back."""

    def __init__(self, chunks: list[bytes], length: int | None = None) -> None:
        self.chunks = list(chunks)
        self.read = 0
        self.sent: list[dict[str, Any]] = []
        headers = [(b"content-type", b"application/json")]
        if length is not None:
            headers.append((b"content-length", str(length).encode()))
        self.scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": headers}

    async def receive(self) -> dict[str, Any]:
        self.read += 1
        chunk = self.chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return self.sent[0]["status"]


async def _never_called(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    raise AssertionError("the application must not see an oversized request")


async def test_a_declared_length_over_the_limit_is_refused_unread():
    peer = _Recorder([b"x" * 10], length=101)
    await BodySizeLimit(_never_called, max_bytes=100)(peer.scope, peer.receive, peer.send)
    assert peer.status == 413 and peer.read == 0
    body = orjson.loads(peer.sent[1]["body"])
    assert body["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert (b"connection", b"close") in peer.sent[0]["headers"]


async def test_a_chunked_body_is_refused_once_it_passes_the_limit():
    peer = _Recorder([b"x" * 60, b"x" * 60, b"x" * 60, b"x" * 60])
    await BodySizeLimit(_never_called, max_bytes=100)(peer.scope, peer.receive, peer.send)
    assert peer.status == 413 and peer.read == 2  # the third and fourth chunks are never read


async def test_a_body_within_the_limit_reaches_the_app_whole():
    seen: list[bytes] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        message = await receive()
        seen.append(message["body"])
        assert message["more_body"] is False
        await send({"type": "http.response.start", "status": 200, "headers": []})

    peer = _Recorder([b"a" * 50, b"b" * 50], length=100)
    await BodySizeLimit(app, max_bytes=100)(peer.scope, peer.receive, peer.send)
    assert seen == [b"a" * 50 + b"b" * 50] and peer.status == 200


async def test_through_the_app(client):
    limit = get_settings().max_body_bytes
    big = orjson.dumps({"query": "{ __typename }", "variables": {"s": "x" * limit}})
    response = await client.post("/graphql", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert response.headers.get("x-request-id")  # refused inside the access log, so it has an id
    fine = await client.post("/graphql", json={"query": "{ __typename }", "variables": {"s": "x" * 1000}})
    assert fine.status_code == 200 and fine.json() == {"data": {"__typename": "Query"}}
