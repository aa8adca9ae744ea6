"""`medgraph worker`: Dramatiq worker processes running the installed modules' jobs.

Each process runs `MEDGRAPH_WORKER_THREADS` worker threads, one event loop the jobs run on
(Dramatiq's AsyncIO middleware), and on that loop the outbox relay (app/relay.py) and the
scheduler of periodic jobs (app/schedule.py). A SIGTERM or SIGINT
stops a process after its jobs in hand finish; a process killed outright leaves its
jobs to come back (app/broker.py) and be counted (app/job_runs.py).
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import multiprocessing
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware

from app.broker import make_broker
from app.job_runs import declare_actors
from app.jobs import Runtime
from app.logging import configure_logging, get_logger
from app.relay import Relay
from app.schedule import Scheduler
from app.settings import Settings

log = get_logger("medgraph.worker")


def import_actors(extra: Sequence[str] = ()) -> None:
    """Each installed module's `actors.py`, and `extra` modules (more jobs, or checks
    registered into a pipeline, by name)."""
    from medgraph.installed import INSTALLED_MODULES

    for module in INSTALLED_MODULES:
        name = f"modules.{module.name}.actors"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    for name in extra:
        importlib.import_module(name)


class RelayMiddleware(Middleware):  # type: ignore[misc]
    """Runs the outbox relay and the scheduler on the jobs' event loop while the worker
    runs. At shutdown they are told to stop first; they are waited for, and the jobs'
    engine closed, only once the worker threads have finished their jobs in hand (after
    shutdown, which Dramatiq signals in reverse order: before AsyncIO stops the loop)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._stop = asyncio.Event()
        self._done: Any = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        loop = get_event_loop_thread().loop  # type: ignore[union-attr]

        async def start() -> None:
            settings = self.runtime.settings
            relay = Relay(self.runtime.engine, self.runtime.broker, settings.relay_poll_seconds)
            scheduler = Scheduler(self.runtime.engine, self.runtime.broker, settings)
            await asyncio.gather(relay.run(self._stop), scheduler.run(self._stop))

        self._done = asyncio.run_coroutine_threadsafe(start(), loop)

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        thread = get_event_loop_thread()
        if thread is not None:
            thread.loop.call_soon_threadsafe(self._stop.set)

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        thread = get_event_loop_thread()
        if thread is None:
            return
        if self._done is not None:
            try:
                self._done.result(timeout=10)
            except Exception as exc:  # noqa: BLE001 - stopping: say so, and go on stopping
                self._done.cancel()
                log.warning("relay_stopped_with_error", error_type=type(exc).__name__)
        thread.run_coroutine(self.runtime.close())


def run_one(settings: Settings, api_url: str, threads: int, extra: Sequence[str] = ()) -> None:
    """One worker process, until SIGTERM or SIGINT."""
    # First: a stop asked for while the worker starts up is a clean stop once it is up.
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    configure_logging(settings.log_level, settings.log_json)
    broker = make_broker(settings, api_url, threads)
    import_actors(extra)
    runtime = Runtime(settings, api_url, broker)
    declare_actors(runtime)
    broker.add_middleware(RelayMiddleware(runtime))
    worker = dramatiq.Worker(broker, worker_threads=threads)
    worker.start()
    log.info("worker_started", threads=threads, queues=sorted(broker.get_declared_queues()))
    stopping.wait()
    worker.stop(timeout=30_000)
    broker.close()
    log.info("worker_stopped")


def run_workers(
    settings: Settings, api_url: str, processes: int, threads: int, extra: Sequence[str] = ()
) -> None:
    """`processes` worker processes (this one, when one), until SIGTERM or SIGINT."""
    if processes == 1:
        run_one(settings, api_url, threads, extra)
        return
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=run_one, args=(settings, api_url, threads, tuple(extra)), daemon=False)
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    while not stopping.wait(1.0):
        if all(not child.is_alive() for child in children):
            sys.exit("every worker process has stopped")
    for child in children:
        if child.pid is not None and child.is_alive():
            child.terminate()  # SIGTERM: each finishes its jobs in hand
    for child in children:
        child.join(40)
