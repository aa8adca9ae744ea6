"""The ASGI application: /graphql (HTTP and websockets), /healthz, /readyz, /metrics.

The composition root (medgraph/asgi.py) hands it the schema and the principal loader."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import structlog
import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute

from app.auth.passwords import password_workers
from app.body_limit import BodySizeLimit
from app.context import PrincipalLoader, RequestContext, SignInGuards, build_context
from app.crypto import PhiCipher, cipher_for
from app.event_hub import EventHub
from app.fast_lane import FastLane, FastReads
from app.http import GraphQLEndpoint
from app.logging import get_logger
from app.memory import tune_for_serving
from app.metrics import count_statements, observe_pool, registry
from app.migrate import current_revision
from app.persisted import PersistedQueries
from app.settings import Settings
from app.throttle import SigninThrottle
from app.websockets import SocketRegistry


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    cipher: PhiCipher
    guards: SignInGuards
    sockets: SocketRegistry
    principal_loader: PrincipalLoader
    events: EventHub
    persisted: PersistedQueries
    fast_reads: FastReads | None = None

    def context(
        self,
        *,
        authorization: str | None,
        headers: Any,
        client_ip: str | None,
        request_id: str | None,
        request: Any = None,
        response: Any = None,
    ) -> RequestContext:
        """A request's context, over what every request of this app shares."""
        return build_context(
            settings=self.settings,
            engine=self.engine,
            cipher=self.cipher,
            guards=self.guards,
            principal_loader=self.principal_loader,
            authorization=authorization,
            headers=headers,
            client_ip=client_ip,
            request_id=request_id,
            request=request,
            response=response,
            events=self.events,
        )


def build_app(
    settings: Settings, engine: AsyncEngine, schema: Any, principal_loader: PrincipalLoader, head: str
) -> Starlette:
    """Build the app. The engine connects as the API role (row-level security applies)."""
    guards = SignInGuards(password_workers(settings), SigninThrottle(engine, settings))
    sockets = SocketRegistry(settings.max_sockets_per_user)
    events = EventHub(engine, settings.event_queue_size)
    cipher = cipher_for(settings.phi_key_bytes)
    persisted = PersistedQueries(
        settings
    )  # reads the registered documents now: a bad directory fails at start
    fast_reads = getattr(schema, "compiled_reads", None)
    state = AppState(
        settings, engine, cipher, guards, sockets, principal_loader, events, persisted, fast_reads
    )
    observe_pool(engine)
    count_statements(engine)
    graphql = GraphQLEndpoint(schema, state)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        try:
            revision = await current_revision(engine)
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, 503)
        if revision != head:
            return JSONResponse({"status": "unavailable", "migrations": revision, "head": head}, 503)
        return JSONResponse({"status": "ok", "migrations": revision})

    async def metrics(_: Request) -> Response:
        return PlainTextResponse(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    async def root(_: Request) -> Response:
        return RedirectResponse("/graphql")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        tune_for_serving()
        yield
        await events.close()
        guards.passwords.shutdown()
        await engine.dispose()

    app = Starlette(
        routes=[
            Route("/", root),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ],
        lifespan=lifespan,
    )
    app.state.medgraph = state
    if fast_reads is not None:
        # Inside the body limit and the access log, before routing and the GraphQL view.
        app.add_middleware(FastLane, reads=fast_reads, persisted=persisted, state=state)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLog)  # outermost: refusals are logged with their request id too
    return app


def server_config(
    app: Starlette | str, settings: Settings, host: str, port: int, **kwargs: Any
) -> uvicorn.Config:
    """How uvicorn serves the app, for `medgraph serve` and the tests' real server alike
    (`app` an import string for several worker processes, each building its own).

    Websocket messages get the ceiling request bodies have; only proxies listed in
    `MEDGRAPH_FORWARDED_ALLOW_IPS` may say which address a client has (sign-in limits key
    on it).
    """
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        ws="websockets-sansio",
        ws_max_size=settings.max_body_bytes,
        log_config=None,  # uvicorn's loggers go through ours: JSON lines like every other
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
        **kwargs,
    )


class AccessLog:
    """Gives each request its id (X-Request-Id if sane, else new), echoes it back, binds
    it to every log line, and logs one line per HTTP request (never its body)."""

    def __init__(self, app: object) -> None:
        self.app = app
        self.log = get_logger("medgraph.http")

    async def __call__(self, scope: dict, receive: object, send: object) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)  # type: ignore[operator]
            return
        headers = dict(scope.get("headers") or [])
        supplied = headers.get(b"x-request-id", b"").decode(errors="replace")
        sane = 0 < len(supplied) <= 64 and supplied.isascii() and supplied.replace("-", "").isalnum()
        request_id = supplied if sane else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = {"code": 500}

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)  # type: ignore[operator]

        try:
            await self.app(scope, receive, capture)  # type: ignore[operator]
        finally:
            if scope["type"] == "http":
                self.log.info(
                    "http_request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status["code"],
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                )
            structlog.contextvars.unbind_contextvars("request_id")


__all__ = ["build_app", "server_config"]
