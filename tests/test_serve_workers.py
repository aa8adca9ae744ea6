"""`medgraph serve --workers N`: N processes answer on one port, each with its own app, and
a SIGTERM to the parent stops them all."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.settings import Settings
from medgraph.serving import worker_count

ROOT = Path(__file__).resolve().parent.parent
ME = "{ me { user { email } } }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _parent_of(pid: int) -> int:
    # /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ")".
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def _probe(base: str, token: str) -> int | None:
    """One new connection: a query as the signed-in user, then the pid of the worker that
    answered both (a connection stays with one worker)."""
    async with httpx.AsyncClient(base_url=base, timeout=10, trust_env=False) as client:
        try:
            answer = await client.post(
                "/graphql", json={"query": ME}, headers={"authorization": f"Bearer {token}"}
            )
            metrics = (await client.get("/metrics")).text
        except httpx.TransportError:
            return None
    assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
    for line in metrics.splitlines():
        if line.startswith("medgraph_process_id "):
            return int(float(line.split()[1]))
    raise AssertionError("medgraph_process_id missing from /metrics")


def test_a_serving_process_tunes_its_collector():
    """What the app's lifespan does in each worker: start-up objects frozen, a young
    generation large enough for requests to free what they hold before a collection."""
    script = (
        "import gc; from app.memory import GC_THRESHOLDS, tune_for_serving; tune_for_serving(); "
        "assert gc.get_threshold() == GC_THRESHOLDS and gc.get_freeze_count() > 0"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60)


def test_worker_count_defaults_to_one_per_core():
    assert worker_count(None, Settings(workers=None)) == (os.cpu_count() or 1)
    assert worker_count(None, Settings(workers=3)) == 3
    assert worker_count(1, Settings(workers=3)) == 1
    with pytest.raises(SystemExit):
        worker_count(0, Settings(workers=None))


async def test_two_workers_answer_and_stop_on_sigterm(owner_url, tenant_a):
    token = await tenant_a.token()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": owner_url, "MEDGRAPH_LOG_LEVEL": "WARNING"}
    env.pop("MEDGRAPH_API_DATABASE_URL", None)
    server = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "medgraph.cli", "serve", "--workers", "2"),
        *("--host", "127.0.0.1", "--port", str(port)),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    pids: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while len(pids) < 2 and time.monotonic() < deadline:
            assert server.returncode is None, (await server.communicate())[0]
            pid = await _probe(f"http://127.0.0.1:{port}", token)
            if pid is None:
                await asyncio.sleep(0.25)
            else:
                pids.add(pid)
        assert len(pids) == 2, pids
        assert {_parent_of(pid) for pid in pids} == {server.pid}
        server.send_signal(signal.SIGTERM)
        output = (await asyncio.wait_for(server.communicate(), 60))[0].decode(errors="replace")
        assert server.returncode == 0, output
        assert all(_gone(pid) for pid in pids)
    finally:
        if server.returncode is None:
            os.killpg(server.pid, signal.SIGKILL)
            await server.wait()
