"""Database engines and the per-request, tenant-scoped unit of work.

Two roles touch the database:
- the owner (DATABASE_URL's user) runs migrations and demo seeding;
- the API role (`medgraph_api`) serves requests. It owns no tables, is not a
  superuser and has no BYPASSRLS, so row-level security always applies to it.

Tenant context lives in transaction-local settings (`set_config(..., true)`), never
in session state, so a pooled connection carries nothing from one request to the next.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import greenlet_spawn

from app.embedded_db import DATABASE_NAME, database_url_for, ensure_database, start_embedded
from app.settings import Settings

T = TypeVar("T")


async def resolve_owner_url(settings: Settings) -> str:
    """The owner's URL: DATABASE_URL, or the embedded server's `medgraph` database."""
    if settings.database_url:
        return _asyncpg(settings.database_url)
    admin_url = start_embedded(settings.data_dir)
    await ensure_database(admin_url, DATABASE_NAME)
    return database_url_for(admin_url, DATABASE_NAME)


def api_url_for(owner_url: str, settings: Settings) -> str:
    """Same server and database as the owner, logged in as the API role."""
    if settings.api_database_url:
        return _asyncpg(settings.api_database_url)
    url = sa.make_url(owner_url).set(username=settings.api_db_role)
    url = url.set(password=settings.api_db_password)
    return url.render_as_string(hide_password=False)


def _asyncpg(url: str) -> str:
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def create_engine(
    url: str, settings: Settings, application_name: str = "medgraph", **kwargs: object
) -> AsyncEngine:
    """`application_name` tells the API's connections from the workers' in pg_stat_activity."""
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=False,
        connect_args={"server_settings": {"application_name": application_name}},
        **kwargs,  # type: ignore[arg-type]
    )


TENANT_SETTINGS = ("app.tenant_id", "app.user_id", "app.scope", "app.facility_ids", "app.org_ids")


def _set_config_statement(values: Mapping[str, str]) -> tuple[sa.TextClause, dict[str, str]]:
    parts = [f"set_config('{key}', :v{i}, true)" for i, key in enumerate(values)]
    params = {f"v{i}": value for i, value in enumerate(values.values())}
    return sa.text("SELECT " + ", ".join(parts)), params


class UnitOfWork:
    """One connection and one transaction for one GraphQL request.

    Resolvers and dataloader batches run concurrently under asyncio; a connection
    can serve only one statement at a time, so `use()` hands it out under a lock.
    The connection is taken from the pool on first use and the tenant settings are
    applied inside the transaction before anything else runs on it.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._lock = asyncio.Lock()
        self._pending: dict[str, str] = {}
        self._tenant_id: str | None = None

    def set_context(self, **values: str) -> None:
        """Queue transaction-local `app.*` settings; applied before the next statement.

        A transaction serves one tenant: moving it to another is a bug, and fails loudly.
        """
        tenant = values.get("tenant_id")
        if tenant is not None:
            self.claim_tenant(tenant)
        for key, value in values.items():
            self._pending[f"app.{key}"] = value

    def claim_tenant(self, tenant_id: str) -> None:
        """Bind the transaction to one tenant, whose settings a statement of the caller's
        own applies (the principal lookup sets them itself, in the same round trip).

        A transaction serves one tenant: moving it to another is a bug, and fails loudly.
        """
        if self._tenant_id not in (None, tenant_id):
            raise RuntimeError("A unit of work cannot move to another tenant")
        self._tenant_id = tenant_id

    @asynccontextmanager
    async def use(self) -> AsyncIterator[AsyncConnection]:
        async with self._lock:
            if self._conn is None:
                self._conn = await self._engine.connect()
                await self._conn.begin()
            if self._pending:
                statement, params = _set_config_statement(self._pending)
                self._pending = {}
                await self._conn.execute(statement, params)
            yield self._conn

    async def read(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run `work` on the connection, to its end even if the caller is cancelled.

        graphql-core cancels the fields still running when an error nulls a parent they
        share; a statement cancelled mid-flight would leave the transaction unusable, and
        every field after it would fail with an unexpected error instead of the request
        answering the error that caused it. The statement finishes in the background
        (holding the connection) and its result is dropped."""

        async def run() -> T:
            async with self.use() as conn:
                return await work(conn)

        return await run_to_end(run())

    async def fetch_value(self, statement: str, params: Sequence[Any]) -> Any:
        """One value from a statement written in the driver's own SQL (`$1` parameters),
        sent as it is: compiled reads build their text once and cache it."""

        async def fetch(conn: AsyncConnection) -> Any:
            return (await conn.exec_driver_sql(statement, tuple(params))).scalar_one()

        return await self.read(fetch)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[AsyncConnection]:
        """A nested transaction: a failing mutation rolls back to here and nothing else."""
        async with self.use() as conn, conn.begin_nested():
            yield conn

    async def finish(self, commit: bool = True) -> None:
        """End the transaction and return the connection; a later `use()` starts afresh."""
        async with self._lock:
            conn, self._conn = self._conn, None
            self._tenant_id = None
            if conn is None:
                return
            try:
                if conn.in_transaction():
                    if commit:
                        await conn.commit()
                    else:
                        await conn.rollback()
            finally:
                await conn.close()


async def single_statement(engine: AsyncEngine, statement: str, params: Sequence[Any]) -> Any:
    """The first row of one statement in a transaction of its own (no BEGIN, no COMMIT):
    for a statement that sets its transaction-local settings itself, before it reads
    (a compiled read fused with the principal lookup). It goes to the driver directly
    (asyncpg runs a lone statement in its own transaction) on a pooled connection, and
    runs to its end if the caller is cancelled, so the pool never gets a connection cut
    off mid-statement. Counted in `medgraph_db_statements_total` like any other."""

    async def run() -> Any:
        pooled = await engine.raw_connection()
        try:
            # Those who watch the engine's statements (metrics, tests) see this one too.
            engine.sync_engine.dispatch.before_cursor_execute(None, None, statement, params, None, False)
            record = await pooled.driver_connection.fetchrow(statement, *params)  # type: ignore[union-attr]
            return None if record is None else SimpleNamespace(**dict(record.items()))
        finally:
            await greenlet_spawn(pooled.close)

    return await run_to_end(run())


async def run_to_end(work: Awaitable[T]) -> T:
    """`work` run to its end even when its caller is cancelled (the caller still gets its
    CancelledError at once): a database read cut off mid-statement would leave its pooled
    connection unusable, or to the garbage collector instead of back in the pool."""
    return await asyncio.shield(asyncio.ensure_future(work))


@asynccontextmanager
async def tenant_transaction(
    engine: AsyncEngine, tenant_id: str, **values: str
) -> AsyncIterator[AsyncConnection]:
    """A standalone tenant-scoped transaction, for CLI tools, workers and tests."""
    async with engine.begin() as conn:
        await scope_to_tenant(conn, tenant_id, **values)
        yield conn


async def scope_to_tenant(conn: AsyncConnection, tenant_id: str, **values: str) -> None:
    """Scope the open transaction of `conn` to the whole of one tenant."""
    settings = {"app.tenant_id": tenant_id, "app.scope": "all"}
    statement, params = _set_config_statement(settings | {f"app.{k}": v for k, v in values.items()})
    await conn.execute(statement, params)
