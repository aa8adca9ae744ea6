"""Websocket protocol handlers (graphql-transport-ws and the legacy graphql-ws).

Strawberry hands every operation on a socket the one context made when the socket
opened. Ours holds a transaction, loaders, a PHI access log and a cached principal,
none of which may be shared by operations that run concurrently, or outlive the
user's deactivation. So the socket's context only records who connected; each
operation runs in a fork of it, which checks the caller afresh (still active, token
not expired) in a transaction of its own.

Two limits hold a single user back from crowding out everyone else, per API process
(a socket lives in one process): sockets per user (`MEDGRAPH_MAX_SOCKETS_PER_USER`;
one more is closed with 4429) and operations in flight per socket
(`MEDGRAPH_MAX_SUBSCRIPTIONS_PER_SOCKET`; one more is refused with an `error`
message whose code is TOO_MANY_SUBSCRIPTIONS).

Persisted queries apply to an operation on a socket as to a request (`app.persisted`):
its payload may name a known document by `extensions.persistedQuery` alone, and with
`MEDGRAPH_PERSISTED_ONLY` only registered documents run (PERSISTED_QUERY_NOT_ALLOWED
in the protocol's `error` message otherwise). A socket never registers a text: APQ's
handshake is HTTP's.

The legacy protocol's `start` runs queries and mutations as well as subscriptions, as
subscriptions-transport-ws did; Strawberry's handler would accept only subscriptions.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws import types as transport_ws
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ErrorMessage

from app.context import RequestContext
from app.persisted import PersistedQueryError

TOO_MANY_SOCKETS = 4429


class SocketLimitReached(Exception):
    """The user holds as many sockets as a user may; raised while authenticating one more."""


class SocketRegistry:
    """Open sockets per user in this process."""

    def __init__(self, max_per_user: int) -> None:
        self.max_per_user = max_per_user
        self._open: Counter[uuid.UUID] = Counter()

    def acquire(self, user_id: uuid.UUID) -> None:
        if self._open[user_id] >= self.max_per_user:
            raise SocketLimitReached(f"At most {self.max_per_user} open sockets per user")
        self._open[user_id] += 1

    def release(self, user_id: uuid.UUID) -> None:
        self._open[user_id] -= 1
        if self._open[user_id] <= 0:
            del self._open[user_id]


class _ContextPerOperation:
    # Both handlers read `self.context` during connection_init (to authenticate the
    # socket) and, once the connection is acknowledged, once per operation they start.
    connection_acknowledged: bool
    _socket_context: RequestContext
    view: Any  # the GraphQLEndpoint, which holds the persisted queries

    @property
    def context(self) -> RequestContext:
        if self.connection_acknowledged:
            return self._socket_context.fork()
        return self._socket_context

    @context.setter
    def context(self, value: RequestContext) -> None:
        self._socket_context = value

    async def handle(self) -> None:
        try:
            await super().handle()  # type: ignore[misc]
        finally:
            # The socket counted against its user once it was acknowledged (see app/http.py).
            held = getattr(self._socket_context, "socket_slot", None)
            if held is not None:
                registry, user_id = held
                registry.release(user_id)
                self._socket_context.socket_slot = None  # type: ignore[attr-defined]

    def _persisted_refusal(self, message: Any, start: str) -> Any:
        """For an operation the persisted queries refuse, the error to send; else None,
        with a hash alone replaced by the text it names. Before the connection is
        acknowledged, the protocol's own answer (a close) comes first."""
        if not (
            self.connection_acknowledged
            and isinstance(message, dict)
            and message.get("type") == start
            and isinstance(message.get("id"), str)
            and isinstance(message.get("payload"), dict)
            and isinstance(message["payload"].get("query"), str | None)
        ):
            return None
        persisted = getattr(self.view, "persisted", None)
        payload = message["payload"]
        if persisted is None or (payload.get("query") is None and payload.get("extensions") is None):
            return None
        try:
            payload["query"] = persisted.resolve(payload.get("query"), payload.get("extensions")).query
        except PersistedQueryError as exc:
            return exc.error
        return None

    def _subscriptions_full(self, in_flight: int) -> str | None:
        limit = self._socket_context.settings.max_subscriptions_per_socket
        if in_flight >= limit:
            return f"At most {limit} operations at once on one socket"
        return None


def _is_operation(payload: object) -> bool:
    """A subscribe/start payload strawberry can run without tripping over its shape."""
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("query"), str)
        and isinstance(payload.get("variables"), dict | None)
        and isinstance(payload.get("operationName"), str | None)
    )


def _malformed(message: Any, with_id: tuple[str, str], start: str) -> bool:
    """Not a message the protocol's handler can read without tripping: not an object, no
    string type, an operation message without a string id, or a start without a query."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return True
    if message["type"] in with_id and not isinstance(message.get("id"), str):
        return True
    return message["type"] == start and not _is_operation(message.get("payload"))


def _refusal(message: str, code: str) -> Any:
    """A GraphQL-formatted error with a stable code (typed Any: Strawberry's message
    types do not say that an error may carry extensions)."""
    return {"message": message, "extensions": {"code": code}}


class TransportWSHandler(_ContextPerOperation, BaseGraphQLTransportWSHandler[RequestContext, None]):
    """graphql-transport-ws, one context per operation; a malformed subscribe closes 4400."""

    async def handle_message(self, message: Any) -> None:
        refusal = self._persisted_refusal(message, "subscribe")
        if refusal is not None:
            await self.send_message(
                transport_ws.ErrorMessage(id=message["id"], type="error", payload=[refusal])
            )
            return
        if _malformed(message, ("subscribe", "complete"), "subscribe"):
            await self.handle_invalid_message("Invalid message")
            return
        if isinstance(message, dict) and message.get("type") == "subscribe" and self.connection_acknowledged:
            refused = message["id"] not in self.operations and self._subscriptions_full(len(self.operations))
            if refused:
                error = _refusal(refused, "TOO_MANY_SUBSCRIPTIONS")
                await self.send_message(
                    transport_ws.ErrorMessage(id=message["id"], type="error", payload=[error])
                )
                return
        try:
            await super().handle_message(message)
        except SocketLimitReached as exc:
            await self.websocket.close(code=TOO_MANY_SOCKETS, reason=str(exc))


class LegacyWSHandler(_ContextPerOperation, BaseGraphQLWSHandler[RequestContext, None]):
    """The legacy graphql-ws protocol, one context per operation; a malformed start gets an error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = _AnyOperation(self.schema)  # type: ignore[assignment]

    async def handle_message(self, message: Any) -> None:
        refusal = self._persisted_refusal(message, "start")
        if refusal is not None:
            await self.send_message(ErrorMessage(type="error", id=message["id"], payload=refusal))
            return
        if _malformed(message, ("start", "stop"), "start"):
            # The legacy protocol has no close code for this: answer with an error, go on.
            op_id = message.get("id") if isinstance(message, dict) else None
            error = ErrorMessage(type="error", id=str(op_id), payload={"message": "Invalid message"})
            await self.send_message(error)
            return
        if isinstance(message, dict) and message.get("type") == "start" and self.connection_acknowledged:
            refused = message["id"] not in self.tasks and self._subscriptions_full(len(self.tasks))
            if refused:
                payload = _refusal(refused, "TOO_MANY_SUBSCRIPTIONS")
                await self.send_message(ErrorMessage(type="error", id=message["id"], payload=payload))
                return
        try:
            await super().handle_message(message)
        except SocketLimitReached as exc:
            refusal = _refusal(str(exc), "TOO_MANY_SOCKETS")
            await self.send_message({"type": "connection_error", "payload": refusal})
            await self.websocket.close(code=TOO_MANY_SOCKETS, reason=str(exc))


class _AnyOperation:
    """The schema as the legacy handler sees it: its `subscribe` runs any operation."""

    def __init__(self, schema: Any) -> None:
        self._schema = schema

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schema, name)

    async def subscribe(self, **kwargs: Any) -> Any:
        return await self._schema.stream(**kwargs)


__all__ = ["LegacyWSHandler", "SocketLimitReached", "SocketRegistry", "TransportWSHandler"]
