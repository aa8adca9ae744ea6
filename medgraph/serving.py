"""`medgraph serve`: one API process, or several sharing one listening socket.

The parent starts the embedded PostgreSQL (when `DATABASE_URL` is unset), migrates and
seeds, then serves. With one worker it serves in its own process, as it always has. With
more it binds the socket and runs uvicorn's supervisor: each worker is a fresh
interpreter (spawned, not forked) that builds its own app from the environment
(`medgraph.asgi:worker_app`): its own engine and pool, LISTEN connection and event hub,
caches and metrics. Nothing a worker holds is needed by another. The parent hands them
the API role's connection (`MEDGRAPH_API_DATABASE_URL`, which for the embedded server
names its socket directory and port), restarts one that dies, and on Ctrl-C or SIGTERM
stops them all and waits for them before it exits, which stops the embedded PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

import uvicorn
from uvicorn.supervisors import Multiprocess

from app.asgi import server_config
from app.settings import Settings

WORKER_APP = "medgraph.asgi:worker_app"


def worker_count(requested: int | None, settings: Settings) -> int:
    """`--workers`, else MEDGRAPH_WORKERS, else one per core."""
    count = requested if requested is not None else settings.workers or os.cpu_count() or 1
    if count < 1:
        raise SystemExit("--workers must be at least 1")
    return count


def serve(settings: Settings, api_url: str, host: str, port: int, workers: int) -> None:
    if workers == 1:
        from medgraph.asgi import create_app

        app = create_app(settings, api_url)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it stops
            uvicorn.Server(server_config(app, settings, host, port)).run()
        return
    # Spawned workers inherit this environment, and read their settings from it.
    os.environ["MEDGRAPH_API_DATABASE_URL"] = api_url
    config = server_config(WORKER_APP, settings, host, port, factory=True, workers=workers)
    sockets = [config.bind_socket()]
    try:
        # Ctrl-C reaches the workers too (they stop on their own); SIGINT or SIGTERM to the
        # parent alone makes it send SIGTERM to each. Either way it waits for all of them.
        Multiprocess(config, sockets=sockets).run()
    finally:
        for sock in sockets:
            sock.close()


@contextlib.contextmanager
def beside_a_worker(api_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """`medgraph worker` in a process of its own while the API serves (`--with-worker`),
    on the API role's connection; stopped (SIGTERM, its jobs in hand finished) after."""
    env = {**os.environ, "MEDGRAPH_API_DATABASE_URL": api_url}
    worker = subprocess.Popen([sys.executable, "-m", "medgraph.cli", "worker"], env=env)
    try:
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(40)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
