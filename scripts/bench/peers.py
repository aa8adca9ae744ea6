#!/usr/bin/env python3
"""medgraph beside PostGraphile 5 and the asyncpg floor, on one database (a benchmark, not a test).

Starts the embedded PostgreSQL of `.medgraph/bench` (pg_stat_statements preloaded), loads
the demo data (`medgraph seed --demo --scale 10`: about 10,000 products and 5,000 orders a
tenant; `--scale`), then on that one server:

- medgraph         `medgraph serve` as deployed by default (`--workers N` with
                   --medgraph-workers, when the CLI takes it), and with one process;
- postgraphile     PostGraphile 5 (scripts/bench/postgraphile/, installed with npm into
                   .medgraph/bench/npm), one Node process, as the API role, with the same
                   transaction-local settings medgraph sets for the signed-in owner;
- floor            one hand-written SQL statement building the same JSON, through an asyncpg
                   pool in the load generator's process (no HTTP, no GraphQL).

For every query, client count and system in turn (systems alternate), a load generator
process warms up, then runs N seconds; one Markdown table is printed. See README.md.

    .venv/bin/python scripts/bench/peers.py                      # 10 s a cell, 1 and 16 clients
    .venv/bin/python scripts/bench/peers.py --seconds 5 --medgraph-workers 2
    .venv/bin/python scripts/bench/peers.py --query orders.nested --seconds 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peer_db  # noqa: E402
import peer_systems as ps  # noqa: E402
from peer_queries import FLOOR, MEDGRAPH, POSTGRAPHILE, QUERY_NAMES, SET_CONFIG_SQL, SETTINGS, row_counts  # noqa: E402

DATA_DIR = peer_db.ROOT / ".medgraph" / "bench"
NPM_CACHE = DATA_DIR / "npm"
LOGIN = ("owner@acme-medical.test", "acme-medical")
LOGIN_MUTATION = """mutation Login($email: String!, $password: String!, $tenant: String!) {
  login(email: $email, password: $password, tenant: $tenant) { accessToken } }"""
LOADER = Path(__file__).resolve().parent / "peer_load.py"
DOCUMENTS = {"medgraph": MEDGRAPH, "postgraphile": POSTGRAPHILE}


async def medgraph_headers(system: ps.System) -> dict[str, str]:
    """A fresh access token (they last 15 minutes) for the acme-medical owner."""
    from medgraph.demo import DEMO_PASSWORD

    email, tenant = LOGIN
    variables = {"email": email, "password": DEMO_PASSWORD, "tenant": tenant}
    async with httpx.AsyncClient(base_url=system.base, trust_env=False, timeout=60) as client:
        r = await client.post("/graphql", json={"query": LOGIN_MUTATION, "variables": variables})
    token = ((r.json().get("data") or {}).get("login") or {}).get("accessToken")
    if not token:
        raise RuntimeError(f"login failed: HTTP {r.status_code} {r.text[:500]}")
    return {"Authorization": f"Bearer {token}", "X-Access-Reason": "benchmark"}


async def app_statements(system: ps.System) -> float | None:
    """medgraph's own count (`medgraph_db_statements_total`), if one process holds it all."""
    if system.kind != "medgraph" or not system.one_process:
        return None
    async with httpx.AsyncClient(trust_env=False) as client:
        text = (await client.get(f"{system.base}/metrics")).text
    for line in text.splitlines():
        if line.startswith("medgraph_db_statements_total "):
            return float(line.split()[1])
    return None


class Bench:
    def __init__(self, db: peer_db.Database, settings: dict[str, str], args: argparse.Namespace):
        self.db, self.settings, self.args = db, settings, args
        self.sizes: dict[tuple[str, str], int] = {}  # response bytes seen by the check

    async def spec(self, system: ps.System, query: str, clients: int) -> dict[str, Any]:
        common = {
            "clients": clients,
            "warmup": self.args.warmup,
            "seconds": self.args.seconds,
            "loader": self.args.loader,
            "bytes": self.sizes.get((system.name, query), 0),
        }
        if system.kind == "floor":
            settings = [self.settings[key] for key in SETTINGS]
            dsn = self.db.dsn(self.db.api_role)
            return common | {"kind": "floor", "dsn": dsn, "settings": settings, "sql": FLOOR[query]}
        headers = await medgraph_headers(system) if system.kind == "medgraph" else {}
        url, document = f"{system.base}/graphql", DOCUMENTS[system.kind][query]
        return common | {"kind": "http", "url": url, "headers": headers, "query": document}

    async def answer(self, system: ps.System, query: str) -> str:
        """One request, outside the timed runs: its JSON text (to count rows and compare)."""
        if system.kind == "floor":
            conn = await self.db.connect(user=self.db.api_role)
            try:
                async with conn.transaction():
                    await conn.execute(SET_CONFIG_SQL, *(self.settings[key] for key in SETTINGS))
                    return await conn.fetchval(FLOOR[query])
            finally:
                await conn.close()
        spec = await self.spec(system, query, 1)
        async with httpx.AsyncClient(trust_env=False, timeout=60) as client:
            r = await client.post(spec["url"], json={"query": spec["query"]}, headers=spec["headers"])
        return r.text

    async def check(self, systems: list[ps.System], queries: list[str]) -> dict[tuple[str, str], str]:
        """Rows in each system's answer; the floor's `data` must equal medgraph's."""
        rows: dict[tuple[str, str], str] = {}
        for query in queries:
            answers = {s.name: await self.answer(s, query) for s in systems}
            self.sizes.update({(name, query): len(text.encode()) for name, text in answers.items()})
            for name, text in answers.items():
                try:
                    rows[name, query] = row_counts(query, json.loads(text))
                except (KeyError, TypeError, ValueError):
                    rows[name, query] = "error"
                    print(f"  {name} {query}: unexpected answer {text[:500]}", file=sys.stderr)
            reference = next((s.name for s in systems if s.kind == "medgraph"), None)
            if "floor" in answers and reference:  # `data` only: medgraph may add `extensions`
                same = json.loads(answers["floor"])["data"] == json.loads(answers[reference]).get("data")
                verdict = "equals" if same else "DIFFERS FROM"
                print(f"  {query}: the floor's data {verdict} medgraph's", file=sys.stderr)
            print(f"  {query} rows: {', '.join(f'{n} {rows[n, query]}' for n in answers)}", file=sys.stderr)
        return rows

    async def cell(self, system: ps.System, query: str, clients: int, stats) -> dict[str, Any]:
        """Warm up, then a timed run in a load generator process; counters read around it."""
        spec = await self.spec(system, query, clients)
        loader = await asyncio.create_subprocess_exec(
            sys.executable,
            str(LOADER),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        assert loader.stdin is not None and loader.stdout is not None
        try:
            loader.stdin.write(json.dumps(spec).encode() + b"\n")
            await loader.stdin.drain()
            if json.loads(await loader.stdout.readline()).get("phase") != "warm":
                raise RuntimeError("load generator: no warm-up")
            before = (await peer_db.statement_counts(stats, self.db)) if stats else None
            app_before = await app_statements(system)
            loader.stdin.write(b"go\n")
            await loader.stdin.drain()
            line = await loader.stdout.readline()
            if not line:
                raise RuntimeError(f"load generator exited ({await loader.wait()}) without a result")
            result = json.loads(line)
            after = (await peer_db.statement_counts(stats, self.db)) if stats else None
            app_after = await app_statements(system)
        finally:
            if loader.returncode is None:
                loader.kill()
            await loader.wait()
        n = max(result["requests"], 1)
        if before and after:
            result["sql"] = (after[0] - before[0]) / n
            result["tx"] = (after[1] - before[1]) / n
        if app_before is not None and app_after is not None:
            result["app_sql"] = (app_after - app_before) / n
        result["processes"] = system.processes()
        return result


def fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| system | query | clients | req/s | p50 ms | p95 ms | errors | bytes | rows | SQL/req"
        " | SQL/req (/metrics) | processes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        sql = "–" if "sql" not in r else f"{r['sql']:.1f} +{r['tx']:.1f}"
        lines.append(
            f"| {r['system']} | {r['query']} | {r['clients']} | {r['requests'] / r['wall']:.1f}"
            f" | {fmt(r['p50_ms'])} | {fmt(r['p95_ms'])} | {r['errors']} | {r['bytes']:.0f}"
            f" | {r['rows']} | {sql} | {fmt(r.get('app_sql'))} | {r['processes']} |"
        )
    return "\n".join(lines)


async def run(args: argparse.Namespace, db: peer_db.Database, systems: list[ps.System]) -> list[dict]:
    """Set up the database and the systems (appended to `systems` as they start), then run."""
    reason = await peer_db.enable_statement_stats(db)
    if reason:
        print(f"SQL/req not measured: {reason}", file=sys.stderr)
    print(f"migrating and loading the demo data (medgraph seed --demo --scale {args.scale})", file=sys.stderr)
    started = time.monotonic()
    env = ps.medgraph_env(DATA_DIR)
    await asyncio.to_thread(peer_db.run_seed, DATA_DIR / "seed.log", env, args.scale)
    print(f"  seeded in {time.monotonic() - started:.1f} s", file=sys.stderr)
    settings = await peer_db.principal_settings(db, *LOGIN)
    print(f"settings of {LOGIN[0]}: {settings}", file=sys.stderr)

    wanted = set(args.system or ["medgraph", "postgraphile", "floor"])
    if "medgraph" in wanted:
        if ps.medgraph_workers_flag():
            workers = args.medgraph_workers
            label = f"medgraph (workers: {'default' if workers is None else workers})"
            systems.append(ps.start_medgraph(label, DATA_DIR, workers))
            if workers != 1:
                systems.append(ps.start_medgraph("medgraph (1 process)", DATA_DIR, 1))
        else:
            ignored = "" if args.medgraph_workers is None else " (--medgraph-workers ignored)"
            print(f"this medgraph CLI has no --workers: it runs as one process{ignored}", file=sys.stderr)
            systems.append(ps.start_medgraph("medgraph", DATA_DIR, None))
            systems[-1].one_process = True
    if "postgraphile" in wanted:
        node, why_not = await asyncio.to_thread(ps.install_postgraphile, NPM_CACHE)
        if node is None:
            print(why_not, file=sys.stderr)
        else:
            systems.append(ps.start_postgraphile(node, NPM_CACHE, db, settings))
    for system in systems:
        await asyncio.to_thread(ps.wait_ready, system)
        print(f"{system.name} ready at {system.base} (log {system.log})", file=sys.stderr)
    if "floor" in wanted:
        systems.append(ps.System("floor", "floor"))

    bench = Bench(db, settings, args)
    queries = args.query or list(QUERY_NAMES)
    print("checking the answers", file=sys.stderr)
    rows_of = await bench.check(systems, queries)
    stats = await db.connect(database="postgres") if db.stats else None
    results = []
    try:
        for query in queries:
            for clients in args.clients:
                for system in systems:  # systems alternate: no system runs all its cells first
                    result = await bench.cell(system, query, clients, stats)
                    rows = rows_of.get((system.name, query), "?")
                    cell = {"system": system.name, "query": query, "clients": clients, "rows": rows}
                    results.append(cell | result)
                    print(
                        f"  {system.name} {query} x{clients}: {result['requests']} requests,"
                        f" {result['errors']} errors, load generator CPU {result['loader_cpu']:.0%}",
                        file=sys.stderr,
                    )
                    if result["first_error"]:
                        print(f"  first error: {result['first_error']}", file=sys.stderr)
    finally:
        if stats is not None:
            await stats.close()
    return results


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
    parser.add_argument("--query", action="append", choices=QUERY_NAMES, help="repeatable; default all")
    parser.add_argument(
        "--scale",
        type=int,
        default=10,
        help="demo data scale (medgraph seed --scale; default 10: about 5,000 orders a tenant)",
    )
    parser.add_argument(
        "--loader",
        choices=["hey", "python"],
        default="hey" if shutil.which("hey") else "python",
        help="HTTP load generator: hey (Debian package `hey`; default when installed) or python (httpx)",
    )
    parser.add_argument(
        "--system",
        action="append",
        choices=["medgraph", "postgraphile", "floor"],
        help="repeatable; default all",
    )
    parser.add_argument(
        "--medgraph-workers", type=int, help="pass --workers N to medgraph serve (when it takes it)"
    )
    args = parser.parse_args()

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # Ctrl-C even when started in the background (where SIGINT starts out ignored, which the
    # servers would inherit); SIGTERM and SIGHUP end the run like it, through the cleanup below.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda number, _: sys.exit(128 + number))
    systems: list[ps.System] = []
    db = None
    results: list[dict] = []
    try:
        db = peer_db.start_database(DATA_DIR)
        results = asyncio.run(run(args, db, systems))
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
