"""A real uvicorn server in a background thread for the websocket tests.

The server thread runs its own event loop, so it gets its own app and engine: an
engine is bound to the loop its connections were made on.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

from app.settings import Settings, get_settings
from tests.websockets.client import TIMEOUT


class ServerThread:
    def __init__(self, owner_url: str, settings: Settings | None = None) -> None:
        self.owner_url = owner_url
        self.settings = settings or get_settings()
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
            from app.asgi import server_config
            from app.db import api_url_for
            from medgraph.asgi import create_app

            settings = self.settings
            app = create_app(settings, api_url_for(self.owner_url, settings))
            config = server_config(app, settings, "127.0.0.1", self.port)
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


@contextlib.contextmanager
def serving(owner_url: str, api_engine: Any, settings: Settings | None = None) -> Iterator[ServerThread]:
    """A started server for a fixture, stopped after; the server's create_app pointed the
    pool gauges at its own engine, so they are pointed back at the tests' engine."""
    thread = ServerThread(owner_url, settings)
    thread.start()
    try:
        yield thread
    finally:
        thread.stop()
        from app.metrics import observe_pool

        observe_pool(api_engine)
