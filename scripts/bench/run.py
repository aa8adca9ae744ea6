#!/usr/bin/env python3
"""Throughput/latency benchmark of the medgraph GraphQL API (a benchmark, not a test).

Starts `medgraph serve --migrate --demo` on a free 127.0.0.1 port with its own embedded
database (MEDGRAPH_DATA_DIR=.medgraph/bench), signs in as owner@acme-medical.test, then,
for every scenario in SCENARIOS and every client count, runs a short warm-up and a timed
run of N concurrent workers that each send the scenario's query in a loop. It measures:

- req/s            completed requests / wall time of the timed run
- p50 / p95 ms     request latency as the client sees it
- SQL/request      growth of `medgraph_db_statements_total` (from /metrics) over the timed
                   run divided by its request count (shows N+1 problems)
- errors           non-200 responses, responses carrying `errors`, transport failures

and prints a Markdown table. The server is always stopped at the end (Ctrl-C included).

    .venv/bin/python scripts/bench/run.py                      # all scenarios, 1 and 16 clients, 10 s
    .venv/bin/python scripts/bench/run.py --seconds 5 --clients 1,4,16 --scenario tenancy.me
    .venv/bin/python scripts/bench/run.py --fresh                 # start from a new database
    .venv/bin/python scripts/bench/run.py --workers 1             # one server process (default: one per core)

Add a scenario by adding an entry to SCENARIOS (name -> GraphQL document).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from medgraph.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / ".medgraph" / "bench"
LOGIN = ("owner@acme-medical.test", "acme-medical")
WARMUP_SECONDS = 2.0
READY_TIMEOUT = 120.0

SCENARIOS: dict[str, str] = {
    "tenancy.nested": """
        query Nested { organizations(first: 10) { totalCount nodes { id name type
          facilities(first: 10) { nodes { id name npi
            providerAssignments(first: 10) { nodes { isPrimaryLocation
              provider { id firstName lastName npi user { email } } } } } } } } }""",
    "tenancy.me": "{ me { user { email } roles permissions } }",
    "tenancy.organizations": (
        "{ organizations(first: 50) { totalCount nodes { id name type status createdAt } } }"
    ),
    "orders.nested": """
        query Orders { orders(first: 50) { totalCount nodes { id orderNumber status totalAmount createdAt
          facility { id name } provider { id firstName lastName }
          items(first: 10) { nodes { id quantity unitPrice lineTotal
            product { id name sku manufacturer { id name } } } }
          statusHistory(first: 10) { nodes { fromStatus toStatus createdAt } }
          shipments(first: 5) { nodes { carrier trackingNumber shippedAt } } } } }""",
}

LOGIN_MUTATION = """mutation Login($email: String!, $password: String!, $tenant: String!) {
  login(email: $email, password: $password, tenant: $tenant) { accessToken errors { code message } } }"""


# --- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, log, workers: int | None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MEDGRAPH_DATABASE_URL")}
    env.update(MEDGRAPH_DATA_DIR=str(DATA_DIR), MEDGRAPH_LOG_LEVEL="WARNING")
    # Every worker signs in from this address, run after run: sign-in limits are not what
    # this measures (scripts/bench/hostile.py floods sign-in on purpose).
    env.update(MEDGRAPH_SIGNIN_ATTEMPTS_PER_ADDRESS="1000000", MEDGRAPH_SIGNIN_ATTEMPTS_PER_ACCOUNT="1000000")
    cmd = [
        str(ROOT / ".venv/bin/medgraph"),
        "serve",
        "--migrate",
        "--demo",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *(["--workers", str(workers)] if workers else []),
    ]
    # Own session: a terminal Ctrl-C reaches only us; we then stop the server ourselves.
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_ready(proc: subprocess.Popen, base: str, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(
                f"{log_path.read_text()}\nserver exited with {proc.returncode} before ready"
                " (output above; --fresh retries on a new database)"
            )
        try:
            if httpx.get(f"{base}/readyz", timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    sys.exit(f"{log_path.read_text()}\nserver not ready after {READY_TIMEOUT:.0f} s (output above)")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGINT (graceful: the embedded PostgreSQL stops with it), then SIGTERM, then SIGKILL."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip this
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
        return
    except subprocess.TimeoutExpired:
        proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    # Not a clean exit, so its PostgreSQL may still run: ask the postmaster for a fast shutdown.
    try:
        pid = int((DATA_DIR / "pgdata" / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGINT)
    except (OSError, ValueError, IndexError):
        pass


# --- the load -----------------------------------------------------------------------------


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise RuntimeError(f"{name} missing from /metrics")


async def sql_statements(client: httpx.AsyncClient, workers: int) -> float:
    """Statements sent by all the server's worker processes. Each has its own /metrics and
    a new connection may reach any of them: ask on new connections until all have answered."""
    seen: dict[float, float] = {}
    for _ in range(workers * 50):
        async with httpx.AsyncClient(base_url=client.base_url, timeout=10, trust_env=False) as fresh:
            text = (await fresh.get("/metrics")).text
        seen[_metric(text, "medgraph_process_id")] = _metric(text, "medgraph_db_statements_total")
        if len(seen) >= workers:
            return sum(seen.values())
    return float("nan")  # some worker never answered: no total


async def login(client: httpx.AsyncClient) -> str:
    email, tenant = LOGIN
    variables = {"email": email, "password": DEMO_PASSWORD, "tenant": tenant}
    r = await client.post("/graphql", json={"query": LOGIN_MUTATION, "variables": variables})
    body = r.json()
    token = ((body.get("data") or {}).get("login") or {}).get("accessToken")
    if r.status_code != 200 or not token:
        raise RuntimeError(f"login failed: HTTP {r.status_code} {r.text}")
    return token


async def load(
    client: httpx.AsyncClient, query: str, headers: dict, clients: int, seconds: float, first_error: list[str]
) -> tuple[list[float], int, float]:
    """`clients` workers loop until `seconds` pass; return latencies, errors, wall time."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            problem = None
            try:
                r = await client.post("/graphql", json={"query": query}, headers=headers)
                if r.status_code != 200 or r.json().get("errors"):
                    problem = f"HTTP {r.status_code} {r.text[:2000]}"
            except (httpx.HTTPError, ValueError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            latencies.append(time.perf_counter() - started)
            if problem:
                errors += 1
                if not first_error:
                    first_error.append(problem)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, errors, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run_all(
    base: str, scenarios: list[str], client_counts: list[int], seconds: float, workers: int
) -> list[tuple]:
    rows = []
    limits = httpx.Limits(max_connections=max(client_counts) + 2)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits, trust_env=False) as client:
        for name in scenarios:
            for clients in client_counts:
                token = await login(client)  # fresh each run: access tokens expire (15 min)
                headers = {"Authorization": f"Bearer {token}", "X-Access-Reason": "benchmark"}
                first_error: list[str] = []
                await load(client, SCENARIOS[name], headers, clients, WARMUP_SECONDS, [])
                before = await sql_statements(client, workers)
                latencies, errors, wall = await load(
                    client, SCENARIOS[name], headers, clients, seconds, first_error
                )
                sql = (await sql_statements(client, workers) - before) / max(len(latencies), 1)
                rows.append(
                    (
                        name,
                        clients,
                        len(latencies) / wall,
                        percentile(latencies, 0.5) * 1000,
                        percentile(latencies, 0.95) * 1000,
                        sql,
                        errors,
                    )
                )
                print(f"  {name} x{clients}: {len(latencies)} requests, {errors} errors", file=sys.stderr)
                if first_error:
                    print(f"  first error: {first_error[0]}", file=sys.stderr)
    return rows


def table(rows: list[tuple]) -> str:
    lines = [
        "| scenario | clients | req/s | p50 ms | p95 ms | SQL/request | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, clients, rps, p50, p95, sql, errors in rows:
        lines.append(f"| {name} | {clients} | {rps:.1f} | {p50:.1f} | {p95:.1f} | {sql:.1f} | {errors} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="timed run per case (default 10)")
    parser.add_argument("--clients", default="1,16", help="comma-separated concurrency levels (default 1,16)")
    parser.add_argument(
        "--scenario",
        action="append",
        choices=sorted(SCENARIOS),
        help="scenario to run (repeatable; default all)",
    )
    parser.add_argument("--fresh", action="store_true", help=f"delete {DATA_DIR} first (new database)")
    parser.add_argument(
        "--workers", type=int, help="server processes (`medgraph serve --workers`; default one per core)"
    )
    args = parser.parse_args()
    client_counts = [int(c) for c in args.clients.split(",") if c.strip()]
    scenarios = args.scenario or list(SCENARIOS)
    workers = args.workers or os.cpu_count() or 1

    if args.fresh and DATA_DIR.exists():
        if (DATA_DIR / "pgdata" / "postmaster.pid").exists():
            sys.exit(f"--fresh: a PostgreSQL seems to run on {DATA_DIR}/pgdata; stop it first")
        shutil.rmtree(DATA_DIR)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    log_path = DATA_DIR / "server.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    print(f"starting medgraph on {base} (data {DATA_DIR}, log {log_path})", file=sys.stderr)
    with open(log_path, "wb") as log:
        proc = start_server(port, log, args.workers)
        try:
            wait_ready(proc, base, log_path)
            rows = asyncio.run(run_all(base, scenarios, client_counts, args.seconds, workers))
        except KeyboardInterrupt:
            print("interrupted; stopping the server", file=sys.stderr)
            sys.exit(130)
        finally:
            stop_server(proc)
    print(table(rows))


if __name__ == "__main__":
    main()
