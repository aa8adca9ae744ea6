"""Prometheus metrics, served at /metrics."""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

registry = CollectorRegistry()

REQUESTS = Counter(
    "medgraph_graphql_requests_total",
    "GraphQL operations by name and type",
    ["operation", "type"],
    registry=registry,
)
ERRORS = Counter("medgraph_graphql_errors_total", "GraphQL errors by kind", ["kind"], registry=registry)
LATENCY = Histogram(
    "medgraph_graphql_duration_seconds",
    "GraphQL operation latency",
    ["type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=registry,
)
POOL_IN_USE = Gauge(
    "medgraph_db_pool_connections_in_use", "Database connections checked out", registry=registry
)
POOL_SIZE = Gauge("medgraph_db_pool_size", "Database pool size", registry=registry)


PROCESS_ID = Gauge(
    "medgraph_process_id",
    "The API process that answered (`medgraph serve --workers N` runs N, each with its own metrics)",
    registry=registry,
)
PROCESS_ID.set_function(os.getpid)

SQL_STATEMENTS = Counter("medgraph_db_statements_total", "SQL statements sent by the API", registry=registry)


def observe_pool(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool
    POOL_IN_USE.set_function(lambda: pool.checkedout())  # type: ignore[attr-defined]
    POOL_SIZE.set_function(lambda: pool.size())  # type: ignore[attr-defined]


def _count_statement(*_: object) -> None:
    SQL_STATEMENTS.inc()


def count_statements(engine: AsyncEngine) -> None:
    """Count every SQL statement the engine sends (the benchmark divides it by requests)."""
    if not event.contains(engine.sync_engine, "before_cursor_execute", _count_statement):
        event.listen(engine.sync_engine, "before_cursor_execute", _count_statement)


OPERATIONS = Counter(
    "medgraph_graphql_operations_total",
    "GraphQL operations by name and by how they were answered: `compiled` (one SQL statement) "
    "or `resolved` (field resolvers and dataloaders)",
    ["operation", "path"],
    registry=registry,
)
COMPILED_SECONDS = Histogram(
    "medgraph_compiled_statement_seconds",
    "Time the database took to answer a compiled read's statement",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
    registry=registry,
)
