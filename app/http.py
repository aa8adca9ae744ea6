"""The GraphQL endpoint: Strawberry's ASGI view with GraphQL-over-HTTP semantics.

- `application/graphql-response+json` when the client accepts it (the spec's
  media type), `application/json` otherwise, 406 when it accepts neither;
- with the new media type, a request that fails to parse or validate has no
  `data` entry and a 4xx status; with `application/json` it stays 200;
- persisted queries (APQ, and the allow-list mode) are resolved per operation before
  it is parsed (see `app.persisted`); a GET's caching headers follow `cache_control`;
- websockets authenticate with `Authorization` (or `token`) in the
  connection_init payload; a bad token closes the socket with 4403; each operation
  on a socket runs in a context of its own (see `app.websockets`).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.http.types import QueryParams
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from app.auth.tokens import InvalidToken, decode_access_token
from app.context import RequestContext
from app.errors import AuthenticationError
from app.fast_lane import GRAPHQL_RESPONSE, JSON, cache_control, negotiate
from app.persisted import PersistedQueryError, bad_extensions
from app.websockets import LegacyWSHandler, TransportWSHandler


def _is_request_error(result: ExecutionResult) -> bool:
    """Parse, validation and variable-coercion failures: no data, and no error comes from
    execution (resolver errors have a path; a failed commit, masked, has none, but the
    request itself was valid)."""
    return (
        result.data is None
        and bool(result.errors)
        and all(
            error.path is None and (error.extensions or {}).get("code") != "INTERNAL_SERVER_ERROR"
            for error in result.errors or ()
        )
    )


def _persisted_refusal(exc: PersistedQueryError, media: str) -> Response:
    headers = {"Cache-Control": "private, no-store"}
    body = orjson.dumps({"errors": [exc.error]})
    return Response(body, status_code=exc.status, media_type=f"{media}; charset=utf-8", headers=headers)


def _not_acceptable() -> Response:
    message = f"Not acceptable: use Accept: {GRAPHQL_RESPONSE} or {JSON}"
    return Response(orjson.dumps({"errors": [{"message": message}]}), status_code=406, media_type=JSON)


class TextFrames(ASGIWebSocketAdapter):
    """Websocket messages as text frames, as both protocols have them (JSON text). The
    view's `encode_json` answers bytes (orjson, for HTTP bodies), which Strawberry would
    send as binary frames: clients that read a text frame as the JSON (the graphql-ws
    reference client among them) refuse a binary one."""

    async def send_json(self, message: Any) -> None:
        encoded = self.view.encode_json(message)
        text = encoded.decode() if isinstance(encoded, bytes) else encoded
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class GraphQLEndpoint(GraphQL[RequestContext, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler
    websocket_adapter_class = TextFrames  # type: ignore[assignment]

    def __init__(self, schema: Any, app_state: Any, **kwargs: Any) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if app_state.settings.graphiql else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
            **kwargs,
        )
        self.state = app_state
        self.persisted = app_state.persisted

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if self.is_websocket_request(request):
            return await super().run(request, context, root_value)
        # Refuse an unacceptable Accept before anything executes (GraphiQL's HTML page aside).
        ide = self.should_render_graphql_ide(self.request_adapter_class(request))
        media = negotiate(request.headers.get("accept"))
        if media is None and not ide:
            return _not_acceptable()
        try:
            response = await super().run(request, context, root_value)
        except PersistedQueryError as exc:
            return _persisted_refusal(exc, media or JSON)
        except HTTPException as exc:
            # The spec answers a mutation sent by GET with 405 Method Not Allowed.
            if request.method == "GET" and isinstance(exc.__cause__, InvalidOperationTypeError):
                response = PlainTextResponse(exc.reason, status_code=405, headers={"Allow": "POST"})
            else:
                raise
        if request.method == "GET" and not ide:
            response.headers["Cache-Control"] = cache_control(
                request.headers.get("authorization"), response.status_code
            )
            response.headers["Vary"] = "Accept, Authorization"
        return response

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET that names a persisted query by hash alone has no `query` either.
        return super().should_render_graphql_ide(request) and not request.query_params.get("extensions")

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Any,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Runs the text a persisted query names (raising PersistedQueryError for what the
        protocol refuses, before anything is parsed), and remembers a text sent with its
        hash once it has parsed and validated."""
        resolved = self.persisted.resolve(request_data.query, request_data.extensions)
        result = await super().execute_single(
            request=request,
            request_adapter=request_adapter,
            sub_response=sub_response,
            context=context,
            root_value=root_value,
            request_data=dataclasses.replace(request_data, query=resolved.query),
        )
        if not _is_request_error(result):
            self.persisted.remember(resolved)
        return result

    async def get_context(self, request: Request | WebSocket, response: Any) -> RequestContext:
        ctx = self.state.context(
            authorization=request.headers.get("authorization"),
            headers=request.headers,
            client_ip=request.client.host if request.client else None,
            request_id=request.scope.get("state", {}).get("request_id"),
            request=request,
            response=response,
        )
        ctx.connection_params = None  # type: ignore[attr-defined]
        ctx.socket_slot = None  # type: ignore[attr-defined]
        return ctx

    async def on_ws_connect(self, context: RequestContext) -> Any:  # type: ignore[override]
        params = getattr(context, "connection_params", None) or {}
        token = params.get("Authorization") or params.get("authorization") or params.get("token")
        if not isinstance(token, str) or not token:
            raise ConnectionRejectionError({"message": "Authentication required"})
        try:
            context.claims = decode_access_token(self.state.settings, token.removeprefix("Bearer ").strip())
            context.auth_error = None
        except InvalidToken as exc:
            raise ConnectionRejectionError({"message": str(exc)}) from exc
        try:
            # A signed token may belong to a session that has ended, or a deactivated user:
            # such a socket is refused now rather than holding one of the user's places.
            await context.principal()
        except AuthenticationError as exc:
            raise ConnectionRejectionError({"message": exc.message}) from exc
        finally:
            await context.uow.finish(commit=False)
        # Counted until the socket closes (released by the handler); past the limit this
        # raises SocketLimitReached, which the handlers answer with close code 4429.
        self.state.sockets.acquire(context.claims.user_id)
        context.socket_slot = (self.state.sockets, context.claims.user_id)  # type: ignore[attr-defined]
        return None

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media = negotiate(request.headers.get("accept"))  # type: ignore[attr-defined]
        return sub_response

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        data = process_result(result)
        if _is_request_error(result):
            data.pop("data", None)  # type: ignore[misc]
        return data

    def decode_json(self, data: str | bytes) -> object:
        """Strict JSON for bodies and websocket messages alike: refuses NaN and Infinity,
        lone surrogates, invalid UTF-8 and nesting past 1024 (a JSONDecodeError: a 400 for a
        body, close 4400 for a websocket message)."""
        return orjson.loads(data)

    def parse_json(self, data: str | bytes) -> object:
        """A request body: an object or a batch, with a string or null `operationName`.
        (Websocket messages are judged by their protocol's handler instead.)"""
        value = super().parse_json(data)
        if not isinstance(value, dict | list):
            raise HTTPException(400, "Expected a JSON object")
        if isinstance(value, dict) and not isinstance(value.get("operationName"), str | None):
            raise HTTPException(400, "The GraphQL operation's `operationName` must be a string or null")
        if isinstance(value, dict) and not isinstance(value.get("extensions"), dict | None):
            raise bad_extensions("`extensions` must be a JSON object")
        return value

    def parse_query_params(self, params: QueryParams) -> dict[str, Any]:
        """A GET's parameters; `extensions` (APQ's hash) must be a JSON object, and says
        so with a stable code rather than as a body that failed to parse."""
        params = dict(params)
        raw = params.pop("extensions", None)
        parsed = super().parse_query_params(params)
        if raw:
            try:
                extensions = self.decode_json(raw)
            except ValueError as exc:  # orjson's JSONDecodeError is a ValueError
                raise bad_extensions("`extensions` must be a JSON object") from exc
            if not isinstance(extensions, dict):
                raise bad_extensions("`extensions` must be a JSON object")
            parsed["extensions"] = extensions
        return parsed

    def encode_json(self, data: object) -> bytes:  # type: ignore[override]
        try:
            return orjson.dumps(data)
        except TypeError:
            # A value orjson cannot write (an integer past 64 bits stored in a JSON column
            # before such input was refused): the standard library writes any of them.
            return json.dumps(data, separators=(",", ":")).encode()

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        media = getattr(sub_response, "media", JSON)
        if media is None:
            return _not_acceptable()
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = f"{media}; charset=utf-8"
        if media == GRAPHQL_RESPONSE and isinstance(response_data, dict) and "data" not in response_data:
            response.status_code = 400
        return response
