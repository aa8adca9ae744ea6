#!/usr/bin/env python3
"""Product search on the scale-10 demo catalog (a benchmark, not a test).

Holds the embedded PostgreSQL of `.medgraph/bench-catalog` (its own, so run.py's and
peers.py's database keeps the small demo catalog), loads the demo data with
`medgraph seed --demo --scale 10` (idempotent: a database seeded before is reused and only
completed), starts `medgraph serve` on it, signs in as owner@acme-medical.test, and for each
query and client count runs `hey`: a warm-up, then a timed run. Queries (the acme-medical
catalog, about 10,000 products at scale 10):

- search "foam"       a word of the names and descriptions (full-text search)
- search "Q41"        a billing-code prefix
- category subtree    `categoryId` of Wound care: its products and its subcategories'

It prints a Markdown table: req/s, p50/p95 latency, SQL statements per request (growth of
`medgraph_db_statements_total` on every worker's /metrics over the timed run, as run.py
counts them), response bytes (one answer, checked before the runs), total matches, errors
(non-200 answers). See README.md.

    .venv/bin/python scripts/bench/catalog.py                    # 10 s a cell, 1 and 16 clients
    .venv/bin/python scripts/bench/catalog.py --seconds 5 --clients 1,4,16 --workers 1
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peer_db  # noqa: E402  (puts the checkout on sys.path too)
import peer_load  # noqa: E402
import peer_systems as ps  # noqa: E402
import run  # noqa: E402

from medgraph.demo_catalog import catalog_id  # noqa: E402
from schema.relay import to_global_id  # noqa: E402

DATA_DIR = peer_db.ROOT / ".medgraph" / "bench-catalog"
TENANT = run.LOGIN[1]
FIELDS = "totalCount edges { node { id name sku code manufacturer { name } } }"


def queries() -> dict[str, str]:
    """hey sends one fixed body, so the category's global id is written into the document."""
    wound_care = to_global_id("ProductCategory", catalog_id(TENANT, "category", "Wound care"))
    filters = {
        'search "foam"': '{search: "foam"}',
        'search "Q41"': '{search: "Q41"}',
        "category Wound care": f'{{categoryId: "{wound_care}"}}',
    }
    return {name: f"{{ products(first: 20, filter: {f}) {{ {FIELDS} }} }}" for name, f in filters.items()}


def seed(scale: int) -> None:
    log = DATA_DIR / "seed.log"
    command = [str(peer_db.ROOT / ".venv/bin/medgraph"), "seed", "--demo", "--scale", str(scale)]
    started = time.perf_counter()
    with open(log, "wb") as out:
        done = subprocess.run(
            command, cwd=peer_db.ROOT, env=ps.medgraph_env(DATA_DIR), stdout=out, stderr=out
        )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} failed ({done.returncode}); see {log}")
    print(f"seeded at scale {scale} in {time.perf_counter() - started:.1f} s", file=sys.stderr)


async def headers(client: httpx.AsyncClient) -> dict[str, str]:
    """A fresh token for each cell: access tokens last 15 minutes."""
    return {"Authorization": f"Bearer {await run.login(client)}", "X-Access-Reason": "benchmark"}


async def bench(base: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    async with httpx.AsyncClient(base_url=base, timeout=60, trust_env=False) as client:
        for name, query in queries().items():
            r = await client.post("/graphql", json={"query": query}, headers=await headers(client))
            body = r.json()
            if r.status_code != 200 or body.get("errors"):
                raise RuntimeError(f"{name}: HTTP {r.status_code} {r.text[:1000]}")
            matches = body["data"]["products"]["totalCount"]
            print(f"  {name}: {matches} matches, {len(r.content)} bytes", file=sys.stderr)
            for clients in args.clients:
                spec = {"url": f"{base}/graphql", "query": query, "clients": clients, "bytes": len(r.content)}
                spec["headers"] = await headers(client)
                await asyncio.to_thread(peer_load.hey, spec, args.warmup)
                before = await run.sql_statements(client, args.workers)
                result = await asyncio.to_thread(peer_load.hey, spec, args.seconds)
                sql = (await run.sql_statements(client, args.workers) - before) / max(result["requests"], 1)
                results.append({"query": name, "clients": clients, "matches": matches, "sql": sql} | result)
                print(
                    f"  {name} x{clients}: {result['requests']} requests, {result['errors']} errors",
                    file=sys.stderr,
                )
                if result["first_error"]:
                    print(f"  first error: {result['first_error']}", file=sys.stderr)
    return results


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| query | clients | req/s | p50 ms | p95 ms | SQL/request | bytes | matches | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['query']} | {r['clients']} | {r['requests'] / r['wall']:.1f} | {r['p50_ms']:.1f}"
            f" | {r['p95_ms']:.1f} | {r['sql']:.1f} | {r['bytes']} | {r['matches']} | {r['errors']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="timed run per cell (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up per cell (default 2)")
    parser.add_argument(
        "--clients",
        default=[1, 16],
        type=lambda s: [int(c) for c in s.split(",") if c.strip()],
        help="comma-separated concurrency levels (default 1,16)",
    )
    parser.add_argument("--scale", type=int, default=10, help="demo catalog scale (default 10)")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="server processes (default one per core)"
    )
    parser.add_argument("--fresh", action="store_true", help=f"delete {DATA_DIR} first (new database)")
    args = parser.parse_args()
    if shutil.which("hey") is None:
        sys.exit("this benchmark drives load with hey: apt-get install hey")
    if args.fresh and DATA_DIR.exists():
        if (DATA_DIR / "pgdata" / "postmaster.pid").exists():
            sys.exit(f"--fresh: a PostgreSQL seems to run on {DATA_DIR}/pgdata; stop it first")
        shutil.rmtree(DATA_DIR)
    DATA_DIR.mkdir(parents=True, exist_ok=True)

    # As peers.py: Ctrl-C even when started in the background, SIGTERM and SIGHUP like it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda number, _: sys.exit(128 + number))
    db, systems, results = None, [], []
    try:
        db = peer_db.start_database(DATA_DIR)
        seed(args.scale)
        systems.append(ps.start_medgraph("medgraph", DATA_DIR, args.workers))
        ps.wait_ready(systems[0])
        print(f"medgraph ({args.workers} workers) ready at {systems[0].base}", file=sys.stderr)
        results = asyncio.run(bench(systems[0].base, args))
    except KeyboardInterrupt:
        print("interrupted; stopping everything", file=sys.stderr)
        sys.exit(130)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip this
        ps.stop_all(systems)
        peer_db.stop_database(db)
    print(table(results))


if __name__ == "__main__":
    main()
