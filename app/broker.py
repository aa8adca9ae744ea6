"""The Dramatiq broker, chosen by `MEDGRAPH_BROKER_URL`.

- unset: PostgreSQL, in the `dramatiq` schema of medgraph's own database (dramatiq-postgres,
  migration 0009), so the embedded setup needs no other service. Workers claim with
  `FOR UPDATE SKIP LOCKED`, are woken by NOTIFY, and beat a heartbeat; the jobs of a worker
  silent for `MEDGRAPH_JOB_DEAD_WORKER_SECONDS` go back to the queue.
- `amqp://...`: RabbitMQ, to run workers on more machines than one.

Either way the broker carries IDs only (see app/jobs.py), and an unacknowledged message of
a killed worker comes back: app/job_runs.py counts those deliveries and bounds them.
"""

from __future__ import annotations

import dramatiq
import sqlalchemy as sa
from dramatiq.middleware import AsyncIO, CurrentMessage

from app.settings import Settings


def libpq_url(api_url: str) -> str:
    """The API role's SQLAlchemy URL as libpq reads it (psycopg, the broker's driver)."""
    url = sa.make_url(api_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def uses_rabbitmq(settings: Settings) -> bool:
    return bool(settings.broker_url) and str(settings.broker_url).startswith(("amqp://", "amqps://"))


def make_broker(settings: Settings, api_url: str, threads: int | None = None) -> dramatiq.Broker:
    """The broker this process sends to and consumes from, set as Dramatiq's global one.
    `threads`: the worker threads it serves (its PostgreSQL pool holds one connection
    for each, and the consumers' and listener's besides)."""
    broker: dramatiq.Broker
    if uses_rabbitmq(settings):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=settings.broker_url)
    elif settings.broker_url:
        raise SystemExit(f"MEDGRAPH_BROKER_URL: expected amqp:// or amqps://, got {settings.broker_url!r}")
    else:
        from dramatiq_postgres import PostgresBroker  # type: ignore[import-untyped]

        url = libpq_url(api_url)
        maxconn = (threads or settings.worker_threads) + 4
        broker = PostgresBroker(
            url=url + ("&" if "?" in url else "?") + f"maxconn={maxconn}",
            results=False,
            heartbeat_interval=settings.job_heartbeat_seconds,
            heartbeat_ttl=settings.job_dead_worker_seconds,
            maintenance_interval=settings.job_dead_worker_seconds / 2,
            poll_interval=1.0,
        )
    broker.add_middleware(AsyncIO())
    broker.add_middleware(CurrentMessage())
    dramatiq.set_broker(broker)
    return broker
