"""One websocket test server for the whole package (see server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.websockets.server import ServerThread


@pytest.fixture(scope="package")
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
