"""Test fixtures: a real PostgreSQL 18 (embedded, or DATABASE_URL's server), migrated once
per session into a fresh database, and the real ASGI app talking to it as the API role.

Each test makes its own tenants with unique slugs, so tests never share rows.
"""

from __future__ import annotations

import os

os.environ.setdefault("MEDGRAPH_ENV", "test")
os.environ.setdefault("MEDGRAPH_LOG_JSON", "true")
# Every test signs in from the same address, many times: the sign-in limits are tested
# on apps of their own (tests/tenancy/test_signin_limits.py).
os.environ.setdefault("MEDGRAPH_SIGNIN_ATTEMPTS_PER_ADDRESS", "1000000")
os.environ.setdefault("MEDGRAPH_SIGNIN_ATTEMPTS_PER_ACCOUNT", "1000000")
# Every query a test sends that the compiler answers is also answered by the resolvers, in
# the same transaction; a difference fails that test (see _compiled_reads_agree below).
os.environ.setdefault("MEDGRAPH_COMPILED_READS_VERIFY", "true")

import uuid  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402
from pathlib import Path  # noqa: E402

import httpx  # noqa: E402
import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine  # noqa: E402

from app.crypto import cipher_for  # noqa: E402
from app.settings import get_settings  # noqa: E402
from tests.support import Tenant, make_tenant  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


async def _fresh_database(name: str) -> str:
    from app.embedded_db import database_url_for, start_embedded

    settings = get_settings()
    if settings.database_url:
        from app.db import _asyncpg

        admin_url = _asyncpg(settings.database_url)
    else:
        admin_url = start_embedded(ROOT / ".medgraph" / "test")
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return database_url_for(admin_url, name)


@pytest.fixture(autouse=True)
def _compiled_reads_agree():  # type: ignore[no-untyped-def]
    """Fails a test during which a compiled read answered differently from the resolvers."""
    from schema.compiler import MISMATCHES

    before = len(MISMATCHES)
    yield
    assert MISMATCHES[before:] == [], "compiled reads differ from the resolvers"


@pytest.fixture(scope="session")
async def owner_url() -> str:
    from medgraph.cli import run_migrations

    url = await _fresh_database(f"medgraph_test_{os.getpid()}")
    await run_migrations(url, get_settings())
    return url


@pytest.fixture(scope="session")
async def owner_engine(owner_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(owner_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def api_engine(owner_url: str) -> AsyncIterator[AsyncEngine]:
    from app.db import api_url_for, create_engine

    engine = create_engine(api_url_for(owner_url, get_settings()), get_settings())
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def jobs_worker(owner_url: str):  # type: ignore[no-untyped-def]
    """A real Dramatiq worker in this process, on the real PostgreSQL broker, with the
    outbox relay (tests/jobs_support.py): the background intake runs as deployed, and
    checks a test registers in this process apply."""
    from tests.jobs_support import InProcessWorker

    worker = InProcessWorker(owner_url)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def app(api_engine: AsyncEngine):  # type: ignore[no-untyped-def]
    from medgraph.asgi import create_app

    return create_app(get_settings(), "", engine=api_engine)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://medgraph.test") as c:
        yield c


@pytest.fixture
def cipher():  # type: ignore[no-untyped-def]
    return cipher_for(get_settings().phi_key_bytes)


@pytest.fixture
async def tenant_a(owner_engine: AsyncEngine, client: httpx.AsyncClient, cipher) -> Tenant:  # type: ignore[no-untyped-def]
    return await make_tenant(owner_engine, client, cipher, f"a-{uuid.uuid4().hex[:10]}")


@pytest.fixture
async def tenant_b(owner_engine: AsyncEngine, client: httpx.AsyncClient, cipher) -> Tenant:  # type: ignore[no-untyped-def]
    return await make_tenant(owner_engine, client, cipher, f"b-{uuid.uuid4().hex[:10]}")
