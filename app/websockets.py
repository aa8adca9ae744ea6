"""Websocket protocol handlers (graphql-transport-ws and the legacy graphql-ws).

Strawberry hands every operation on a socket the one context made when the socket
opened. Ours holds a transaction, loaders, a PHI access log and a cached principal,
none of which may be shared by operations that run concurrently, or outlive the
user's deactivation. So the socket's context only records who connected; each
operation runs in a fork of it, which checks the caller afresh (still active, token
not expired) in a transaction of its own.
"""

from __future__ import annotations

from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ErrorMessage

from app.context import RequestContext


class _ContextPerOperation:
    # Both handlers read `self.context` during connection_init (to authenticate the
    # socket) and, once the connection is acknowledged, once per operation they start.
    connection_acknowledged: bool
    _socket_context: RequestContext

    @property
    def context(self) -> RequestContext:
        if self.connection_acknowledged:
            return self._socket_context.fork()
        return self._socket_context

    @context.setter
    def context(self, value: RequestContext) -> None:
        self._socket_context = value


def _is_operation(payload: object) -> bool:
    """A subscribe/start payload strawberry can run without tripping over its shape."""
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("query"), str)
        and isinstance(payload.get("variables"), dict | None)
        and isinstance(payload.get("operationName"), str | None)
    )


def _malformed(message: Any, kind: str) -> bool:
    if not isinstance(message, dict) or message.get("type") != kind:
        return False
    return not isinstance(message.get("id"), str) or not _is_operation(message.get("payload"))


class TransportWSHandler(_ContextPerOperation, BaseGraphQLTransportWSHandler[RequestContext, None]):
    """graphql-transport-ws, one context per operation; a malformed subscribe closes 4400."""

    async def handle_message(self, message: Any) -> None:
        if _malformed(message, "subscribe"):
            await self.handle_invalid_message("Invalid subscribe message")
            return
        await super().handle_message(message)


class LegacyWSHandler(_ContextPerOperation, BaseGraphQLWSHandler[RequestContext, None]):
    """The legacy graphql-ws protocol, one context per operation; a malformed start gets an error."""

    async def handle_message(self, message: Any) -> None:
        if _malformed(message, "start"):
            error = ErrorMessage(
                type="error", id=str(message.get("id")), payload={"message": "Invalid start message"}
            )
            await self.send_message(error)
            return
        await super().handle_message(message)


__all__ = ["LegacyWSHandler", "TransportWSHandler"]
