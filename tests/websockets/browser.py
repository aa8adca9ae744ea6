"""A real headless Chromium for the tests, driven over the DevTools protocol (CDP) with
the `websockets` client the tests use anyway.

GraphiQL's page loads React and GraphiQL from unpkg.com, which this machine cannot reach
(nor may a test depend on the internet): the browser asks, and this driver answers each
unpkg.com request from the same package versions installed from the npm registry
(`files`), so the page runs exactly as it would online.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import mimetypes
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

CDN = "https://unpkg.com/"


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    pytest.skip("no Chromium here (Debian: apt-get install chromium)")


class Page:
    """One browser tab: `call` a CDP method, `evaluate` JavaScript, `wait_for` a condition."""

    def __init__(self, socket: Any, files: Path) -> None:
        self.socket = socket
        self.files = files
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[Any]] = {}
        self.missing: list[str] = []
        self.reader = asyncio.ensure_future(self._read())

    async def call(self, method: str, **params: Any) -> Any:
        key = next(self.ids)
        answer = self.waiting[key] = asyncio.get_running_loop().create_future()
        try:
            await self.socket.send(json.dumps({"id": key, "method": method, "params": params}))
            return await asyncio.wait_for(answer, 30)
        finally:
            del self.waiting[key]

    async def evaluate(self, expression: str) -> Any:
        found = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return found["result"].get("value")

    async def wait_for(self, expression: str, seconds: float, what: str) -> Any:
        deadline = time.monotonic() + seconds
        while not (value := await self.evaluate(expression)):
            assert time.monotonic() < deadline, f"waited {seconds} s for {what}; unpkg misses: {self.missing}"
            await asyncio.sleep(0.1)
        return value

    async def _read(self) -> None:
        async for raw in self.socket:
            message = json.loads(raw)
            if "id" in message and message["id"] in self.waiting:
                future = self.waiting[message["id"]]
                if "error" in message:
                    future.set_exception(RuntimeError(f"CDP: {message['error']}"))
                else:
                    future.set_result(message.get("result", {}))
            elif message.get("method") == "Fetch.requestPaused":
                asyncio.ensure_future(self._serve_from_npm(message["params"]))

    async def _serve_from_npm(self, paused: dict[str, Any]) -> None:
        url = paused["request"]["url"]
        file = self._file_for(url)
        if file is None or not file.is_file():
            self.missing.append(url)
            await self.call("Fetch.failRequest", requestId=paused["requestId"], errorReason="Failed")
            return
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        await self.call(
            "Fetch.fulfillRequest",
            requestId=paused["requestId"],
            responseCode=200,
            responseHeaders=[
                {"name": "Content-Type", "value": kind},
                {"name": "Access-Control-Allow-Origin", "value": "*"},
            ],
            body=base64.b64encode(file.read_bytes()).decode(),
        )

    def _file_for(self, url: str) -> Path | None:
        """unpkg.com/<package>@<version>/<path> -> node_modules/<package>/<path>."""
        spec = url.removeprefix(CDN).split("?")[0]
        scope = ""
        if spec.startswith("@"):
            scope, _, spec = spec.partition("/")
            scope += "/"
        name_version, _, path = spec.partition("/")
        name = scope + name_version.split("@")[0]
        return self.files / "node_modules" / name / path if path else None


@contextlib.asynccontextmanager
async def browser_page(files: Path) -> AsyncIterator[Page]:
    """A tab of a new headless Chromium whose unpkg.com requests `files` answers."""
    with tempfile.TemporaryDirectory(prefix="medgraph-chromium-") as profile:
        process = await asyncio.create_subprocess_exec(
            chromium(),
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            port = await _devtools_port(Path(profile), process)
            async with httpx.AsyncClient() as http:
                targets = (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
            tab = next(t for t in targets if t["type"] == "page")
            async with connect(tab["webSocketDebuggerUrl"], max_size=None) as socket:
                page = Page(socket, files)
                await page.call(
                    "Fetch.enable", patterns=[{"urlPattern": CDN + "*", "requestStage": "Request"}]
                )
                await page.call("Runtime.enable")
                await page.call("Page.enable")
                try:
                    yield page
                finally:
                    page.reader.cancel()
        finally:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _devtools_port(profile: Path, process: asyncio.subprocess.Process) -> int:
    """Chromium writes the port it chose to DevToolsActivePort in its profile."""
    deadline = time.monotonic() + 30
    active = profile / "DevToolsActivePort"
    while not (active.exists() and active.read_text().strip()):
        assert process.returncode is None, f"Chromium exited with {process.returncode}"
        assert time.monotonic() < deadline, "Chromium did not open its DevTools port"
        await asyncio.sleep(0.1)
    return int(active.read_text().split()[0])
