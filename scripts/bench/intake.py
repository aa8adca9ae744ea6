#!/usr/bin/env python3
"""How fast one worker process drains submitted orders (a benchmark, not a test).

On the benchmark's embedded database (`.medgraph/bench`, migrated to head; the demo data of
any scale), as the acme-medical tenant:

1. clones one demo order that passes its checks N times (default 5,000) as `submitted`
   orders with its items, and emits `order.submitted` for each, in one transaction, as
   `submitOrder` would have (the relay's cursor is first moved past older events);
2. starts `medgraph worker --processes 1 --threads T` and times it from start until no
   order is left `submitted`: the outbox relay sends the jobs, the worker runs every
   check and moves every order;
3. deletes the orders it made (and stops the worker).

    .venv/bin/python scripts/bench/intake.py                    # 5,000 orders, 8 threads
    .venv/bin/python scripts/bench/intake.py --orders 2000 --threads 4
    .venv/bin/python scripts/bench/intake.py --failing 0.5         # half of them fail a check
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peer_db  # noqa: E402
import peer_systems as ps  # noqa: E402

DATA_DIR = peer_db.ROOT / ".medgraph" / "bench"
TENANT = "acme-medical"
MARK = "bench:intake"


async def _columns(conn, table: str, skip: set[str]) -> list[str]:  # type: ignore[no-untyped-def]
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = $1 AND table_schema = 'public' ORDER BY ordinal_position",
        table,
    )
    generated = {
        r[0]
        for r in await conn.fetch(
            "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attgenerated <> ''", table
        )
    }
    return [r[0] for r in rows if r[0] not in skip and r[0] not in generated]


async def make_orders(db: peer_db.Database, count: int, failing: float = 0.0) -> str:
    """`count` submitted orders with their events; the tenant's id. A `failing` share of
    them asks for delivery today, which the lead-time check fails: those go to
    needs_attention, each with its own reasons."""
    conn = await db.connect()
    try:
        tenant = await conn.fetchval("SELECT id FROM tenants WHERE slug = $1", TENANT)
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
            await conn.execute("SELECT set_config('app.scope', 'all', true)")
            template = await conn.fetchval(
                "SELECT o.id FROM orders o WHERE o.status = 'pending_admin_review' AND o.item_count > 0 "
                "ORDER BY o.created_at LIMIT 1"
            )
            # Past every event so far: this run's jobs only.
            await conn.execute(
                "INSERT INTO job_relay (tenant_id, last_sequence) SELECT tenant_id, last_sequence "
                "FROM event_counters ON CONFLICT (tenant_id) "
                "DO UPDATE SET last_sequence = EXCLUDED.last_sequence"
            )
            await conn.execute(
                "CREATE TEMP TABLE bench_orders ON COMMIT DROP AS "
                "SELECT gen_random_uuid() AS id, g AS i FROM generate_series(1, $1::int) AS g",
                count,
            )
            fixed = {
                "id": "b.id",
                "order_number": f"'ORD-B' || to_char(b.i, 'FM000000') || '-{int(time.time()) % 100000}'",
                "status": "'submitted'",
                "version": "2",
                "submitted_at": "now()",
                "reviewed_at": "NULL",
                "internal_notes": f"'{MARK}'",
                "requested_delivery_date": f"CASE WHEN b.i <= {int(count * failing)} THEN current_date "
                "ELSE current_date + 30 END",
                "attention_reasons": "'{}'::text[]",
                "created_at": "now()",
                "updated_at": "now()",
            }
            columns = await _columns(conn, "orders", set())
            values = ", ".join(fixed.get(c, f"o.{c}") for c in columns)
            await conn.execute(
                f"INSERT INTO orders ({', '.join(columns)}) SELECT {values} "
                f"FROM orders o CROSS JOIN bench_orders b WHERE o.id = $1",
                template,
            )
            item_columns = await _columns(conn, "order_items", {"id"})
            item_values = ", ".join("b.id" if c == "order_id" else f"x.{c}" for c in item_columns)
            await conn.execute(
                f"INSERT INTO order_items ({', '.join(item_columns)}) SELECT {item_values} "
                f"FROM order_items x CROSS JOIN bench_orders b WHERE x.order_id = $1",
                template,
            )
            await conn.execute(
                "INSERT INTO domain_events (tenant_id, type, entity_type, entity_id, payload) "
                "SELECT $1, 'order.submitted', 'Order', b.id, jsonb_build_object("
                "'facility_id', o.facility_id::text, 'status', 'submitted', 'round', 1) "
                "FROM bench_orders b JOIN orders o ON o.id = b.id",
                tenant,
            )
        return str(tenant)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def as_tenant(db: peer_db.Database, tenant: str) -> AsyncIterator[Any]:
    """A connection in a transaction scoped to the tenant, closed after."""
    conn = await db.connect()
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", tenant)
            yield conn
    finally:
        await conn.close()


async def left(db: peer_db.Database, tenant: str) -> int:
    async with as_tenant(db, tenant) as conn:
        found = "SELECT count(*) FROM orders WHERE internal_notes = $1 AND status = 'submitted'"
        return int(await conn.fetchval(found, MARK))


async def outcome(db: peer_db.Database, tenant: str) -> dict[str, int]:
    """How many of the orders ended in each status."""
    async with as_tenant(db, tenant) as conn:
        found = "SELECT status, count(*) FROM orders WHERE internal_notes = $1 GROUP BY status"
        return {r[0]: r[1] for r in await conn.fetch(found, MARK)}


async def clean(db: peer_db.Database, tenant: str) -> None:
    async with as_tenant(db, tenant) as conn:
        ids = "(SELECT id FROM orders WHERE internal_notes = $1)"
        for child in ("order_checks", "order_status_history", "order_items", "shipments"):
            await conn.execute(f"DELETE FROM {child} WHERE order_id IN {ids}", MARK)
        await conn.execute("DELETE FROM orders WHERE internal_notes = $1", MARK)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--failing", type=float, default=0.0, help="share of orders that fail a check (0-1)")
    args = parser.parse_args()
    env = ps.medgraph_env(DATA_DIR)
    medgraph = str(peer_db.ROOT / ".venv/bin/medgraph")
    subprocess.run([medgraph, "migrate"], env=env, check=True, cwd=peer_db.ROOT)
    db = peer_db.start_database(DATA_DIR)
    tenant = asyncio.run(make_orders(db, args.orders, args.failing))
    print(f"{args.orders} orders submitted; one worker process, {args.threads} threads", file=sys.stderr)
    started = time.perf_counter()
    command = [medgraph, "worker", "--processes", "1", "--threads", str(args.threads)]
    worker = subprocess.Popen(command, env=env, cwd=peer_db.ROOT, start_new_session=True)
    first = None
    try:
        while (remaining := asyncio.run(left(db, tenant))) > 0:
            if first is None and remaining < args.orders:
                first = time.perf_counter()
            time.sleep(0.2)
        done = time.perf_counter()
        print(f"ended as: {asyncio.run(outcome(db, tenant))}", file=sys.stderr)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(60)
        asyncio.run(clean(db, tenant))
    total, steady = done - started, done - (first or started)
    columns = ("orders", "failing", "threads", "drained in s", "orders/s from worker start", "from 1st move")
    print("| " + " | ".join(columns) + " |")
    print("|---:|---:|---:|---:|---:|---:|")
    rates = f"{args.orders / total:.0f} | {args.orders / steady:.0f}"
    print(f"| {args.orders} | {args.failing:.0%} | {args.threads} | {total:.1f} | {rates} |")


if __name__ == "__main__":
    main()
