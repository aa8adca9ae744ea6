"""Background workers for the tests: one in this process (the `jobs_worker` fixture), and
`medgraph worker` processes (the crash tests), on the test database and the real
PostgreSQL broker.

A worker in this process and one in a process of its own would take each other's
jobs, so a test that runs processes stops the one in this process first (`alone`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.db import api_url_for
from app.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
RUNNING: list[InProcessWorker] = []
# Tests leave orders `submitted` on purpose (a job parked, a check that never ran): the
# sweep of stuck orders would check them under another test's feet. Workers here leave
# them be unless a test says otherwise (tests/jobs/test_stuck_intake.py).
QUIET_SWEEP = {"intake_stuck_after_seconds": 1e9}


class InProcessWorker:
    def __init__(self, owner_url: str) -> None:
        self.owner_url = owner_url
        self.worker: Any = None
        self.broker: Any = None

    def start(self) -> None:
        import dramatiq

        from app.broker import make_broker
        from app.job_runs import declare_actors
        from app.jobs import Runtime
        from medgraph.worker import RelayMiddleware, import_actors

        settings = get_settings().model_copy(update={"relay_poll_seconds": 1.0, **QUIET_SWEEP})
        api_url = api_url_for(self.owner_url, settings)
        self.broker = make_broker(settings, api_url)
        import_actors()
        runtime = Runtime(settings, api_url, self.broker)
        declare_actors(runtime)
        self.broker.add_middleware(RelayMiddleware(runtime))
        self.worker = dramatiq.Worker(self.broker, worker_threads=2)
        self.worker.start()
        RUNNING.append(self)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop(timeout=10_000)
            self.broker.close()
            self.worker = None
            RUNNING.remove(self)


@contextlib.contextmanager
def alone() -> Iterator[None]:
    """No worker in this process while the block runs (restarted after)."""
    stopped = list(RUNNING)
    for worker in stopped:
        worker.stop()
    try:
        yield
    finally:
        for worker in stopped:
            worker.start()


RABBITMQ_URL = os.environ.get("MEDGRAPH_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


def rabbitmq_reachable() -> str | None:
    """Why RabbitMQ cannot be used here, or None: it answers, and its `default` queue is
    emptied of an earlier run's messages (they name another database's tenants)."""
    try:
        import pika

        connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    except Exception as exc:  # noqa: BLE001 - any failure means: not here
        return f"no RabbitMQ at {RABBITMQ_URL} ({type(exc).__name__})"
    try:
        for queue in ("default", "default.DQ", "default.XQ"):
            channel = connection.channel()  # a purge of a queue not there closes its channel
            with contextlib.suppress(pika.exceptions.ChannelClosedByBroker):
                channel.queue_purge(queue)
    finally:
        connection.close()
    return None


def worker_process(
    owner_url: str, *imports: str, threads: int = 1, **settings: str
) -> subprocess.Popen[bytes]:
    """`medgraph worker` (one process, `threads` threads) on the test database, in a
    process group of its own (so a test can kill it and everything it started)."""
    env = {
        **os.environ,
        "MEDGRAPH_API_DATABASE_URL": api_url_for(owner_url, get_settings()),
        "MEDGRAPH_LOG_LEVEL": "WARNING",
        "MEDGRAPH_JOB_HEARTBEAT_SECONDS": "0.5",
        "MEDGRAPH_JOB_DEAD_WORKER_SECONDS": "3",
        "MEDGRAPH_RELAY_POLL_SECONDS": "0.5",
        "MEDGRAPH_INTAKE_STUCK_AFTER_SECONDS": str(QUIET_SWEEP["intake_stuck_after_seconds"]),
        **{f"MEDGRAPH_{k.upper()}": v for k, v in settings.items()},
    }
    command = [sys.executable, "-m", "medgraph.cli", "worker", "--threads", str(threads)]
    for name in imports:
        command += ["--import", name]
    return subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True, preexec_fn=_die_with_parent)


def _die_with_parent() -> None:
    """The worker gets SIGKILL if the test process dies (Linux): a test run cut short
    leaves no worker behind to take the next run's jobs from a shared broker."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the worker and its process group: no clean-up of any kind."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, as an operator stops a worker; its exit code."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.wait(40)
    except subprocess.TimeoutExpired:
        kill(process)
        return -9
