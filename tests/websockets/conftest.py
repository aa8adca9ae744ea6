"""One websocket test server for the whole package (see server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.websockets.server import ServerThread, serving


@pytest.fixture(scope="package")
def server(owner_url: str, api_engine) -> Iterator[ServerThread]:  # type: ignore[no-untyped-def]
    with serving(owner_url, api_engine) as thread:
        yield thread
