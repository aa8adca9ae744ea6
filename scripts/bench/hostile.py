#!/usr/bin/env python3
"""Hostile traffic against one medgraph process (a benchmark, not a test).

Starts the server as run.py does (own embedded database in .medgraph/bench), then:

1. sign-in floods: `me` latency for a signed-in user, idle and while 16 other clients
   loop `login` (a) with one unknown email from one address, and (b) with a new email
   from a new address every time (X-Forwarded-For from 127.0.0.1, a trusted proxy), so
   no throttle applies and every attempt costs a password check;
2. hostile documents, no token: server CPU per request (the server process's own
   utime+stime, from /proc) for the worst shapes within and just past the limits,
   each request's whitespace varied so no cache helps;
3. large bodies: the server's RSS before, after thirty 10 MB bodies, after thirty
   bodies just under the body limit, and after a pause.

    .venv/bin/python scripts/bench/hostile.py [--seconds 10] [--fresh]

The floods run in a process of their own so that the client measuring `me` is not
slowed by the flood's own client work; all of it shares the machine's cores with the
server and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import sys
import time
import uuid
from pathlib import Path

import httpx
import orjson
from graphql import get_introspection_query
from run import DATA_DIR, free_port, login, percentile, start_server, stop_server, wait_ready

from app.settings import get_settings

ME = "{ me { user { email } roles permissions } }"
LOGIN = """mutation($e: String!, $p: String!, $t: String!) {
  login(email: $e, password: $p, tenant: $t) { accessToken errors { code } } }"""
CLIENTS = 16
# A well-formed ID of no facility: "Facility:" and a zero UUID.
NO_FACILITY = "RmFjaWxpdHk6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw"
FACILITY_FIELDS = (
    "... on Facility { id name npi organization { id name facilities(first: 5) { nodes { id } } } }"
)


# --- the server process ---------------------------------------------------------------


def _proc(pid: int, name: str) -> str:
    return Path(f"/proc/{pid}/{name}").read_text()


def cpu_seconds(pid: int) -> float:
    fields = _proc(pid, "stat").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in _proc(pid, "status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


# --- 1. sign-in floods ----------------------------------------------------------------


def _flood(base: str, kind: str, seconds: float, counts: multiprocessing.Queue) -> None:
    async def main() -> None:
        done = {"n": 0, "limited": 0}
        deadline = time.perf_counter() + seconds
        limits = httpx.Limits(max_connections=CLIENTS + 2)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits, trust_env=False) as client:

            async def worker(w: int) -> None:
                while time.perf_counter() < deadline:
                    if kind == "one-address":
                        email, headers = "nobody@acme-medical.test", {}
                    else:
                        email = f"bot-{uuid.uuid4().hex[:12]}@acme-medical.test"
                        octets = uuid.uuid4().bytes
                        headers = {"x-forwarded-for": f"10.{octets[0]}.{octets[1]}.{octets[2]}"}
                    variables = {"e": email, "p": "not-the-password", "t": "acme-medical"}
                    body = {"query": LOGIN, "variables": variables}
                    r = await client.post("/graphql", json=body, headers=headers)
                    done["n"] += 1
                    if "RATE_LIMITED" in r.text:
                        done["limited"] += 1

            await asyncio.gather(*(worker(w) for w in range(CLIENTS)))
        counts.put(done)

    asyncio.run(main())


async def me_latencies(base: str, token: str, seconds: float) -> list[float]:
    latencies = []
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=60, trust_env=False) as client:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            r = await client.post("/graphql", json={"query": ME}, headers=headers)
            assert r.status_code == 200 and "errors" not in r.json(), r.text
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.02)  # a person clicking, not a load generator
    return latencies


def sign_in_floods(base: str, pid: int, token: str, seconds: float) -> list[tuple]:
    rows = []
    for kind in ("idle", "one-address", "distributed"):
        flood = None
        counts: multiprocessing.Queue = multiprocessing.Queue()
        if kind != "idle":
            flood = multiprocessing.Process(target=_flood, args=(base, kind, seconds + 1, counts))
            flood.start()
            time.sleep(1.0)  # the flood gets going
        cpu = cpu_seconds(pid)
        latencies = asyncio.run(me_latencies(base, token, seconds))
        cpu = cpu_seconds(pid) - cpu
        attempts = limited = 0
        if flood is not None:
            flood.join()
            got = counts.get(timeout=10)
            attempts, limited = got["n"], got["limited"]
        p50, p95 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.95) * 1000
        rows.append((kind, len(latencies), p50, p95, cpu / seconds * 100, attempts / (seconds + 1), limited))
        print(f"  flood {kind}: me p95 {p95:.1f} ms", file=sys.stderr)
        time.sleep(2)
    return rows


# --- 2. hostile documents -------------------------------------------------------------


def documents() -> dict[str, str]:
    """The worst shapes we could build, most of them as large as the token limit allows."""
    s = get_settings()
    tokens = s.max_tokens
    frag = "fragment F on Query { " + "__typename " * 40 + "}"
    return {
        "the report: organizations{totalCount} x400": "{ " + "organizations { totalCount } " * 400 + "}",
        "one field repeated to the token limit": "{ "
        + "organizations { totalCount } " * ((tokens - 2) // 4)
        + "}",
        "varied repeats to the token limit": "{ me { "
        + " ".join(f"user {{ {'id' if i % 2 else 'email'} }}" for i in range((tokens - 6) // 4))
        + " } }",
        "conflicting arguments to the token limit": "{ "
        + " ".join(f"organizations(first: {i % 100}) {{ totalCount }}" for i in range((tokens - 2) // 9))
        + " }",
        "__typename to the token limit": "{ " + "__typename " * (tokens - 2) + "}",
        "past the token limit": "{ " + "__typename " * (tokens + 100) + "}",
        "wide fragments (at the field limit)": "{ " + "...F " * (s.max_fields // 40) + "} " + frag,
        "wide fragments (past the field limit)": "{ " + "...F " * (s.max_fields // 40 + 1) + "} " + frag,
        "directives at their limit": "{ __typename " + "@include(if: true) " * s.max_directives + "}",
        "directives to the token limit": "{ __typename " + "@skip(if: false) " * ((tokens - 4) // 6) + "}",
        "deep nesting (the parser's limit)": "{" + "me {" * 150 + "scopeAll" + "}" * 151,
        "fragments spreading twice, 30 levels": "{ ...F0 } "
        + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30))
        + " fragment F30 on Query { __typename }",
        "operations to the token limit": " ".join(f"query Q{i} {{ __typename }}" for i in range(tokens // 5)),
        "variables to the token limit": "query Q0("
        + " ".join(f"$v{i}: Int" for i in range((tokens - 10) // 4))
        + ") { __typename }",
        "full introspection": get_introspection_query(descriptions=True),
        "full introspection x15 aliases": "{ "
        + " ".join(f"a{i}: __schema {{ ...S }}" for i in range(15))
        + " } fragment S on __Schema { types { name fields { name args { name type { name ofType"
        " { name ofType { name } } } } } } }",
    }


def variable_bodies() -> dict[str, dict]:
    """Requests whose weight is in their variables (each body under the body limit)."""
    values = get_settings().max_input_values
    statuses = "query($t: [ActiveStatus!]) { patients(filter: {statuses: $t}) { totalCount } }"
    unused = "{ __typename }"
    return {
        "100,000 enum values in a declared list": {
            "query": statuses,
            "variables": {"t": ["ACTIVE"] * 100_000},
        },
        "450,000 numbers in an unused variable": {"query": unused, "variables": {"t": [0] * 450_000}},
        f"{values - 1} numbers (at the limit), unused": {
            "query": unused,
            "variables": {"t": [0] * (values - 1)},
        },
        "nodes(ids: 100 IDs) x15 aliases": {
            "query": "query($ids: [ID!]!) { "
            + " ".join(f"n{i}: nodes(ids: $ids) {{ {FACILITY_FIELDS} }}" for i in range(15))
            + " }",
            "variables": {"ids": [NO_FACILITY] * 100},
        },
    }


def _codes(response: httpx.Response) -> set[str]:
    if response.status_code not in (200, 400):
        return {str(response.status_code)}
    errors = response.json().get("errors", [])
    return {(e.get("extensions") or {}).get("code", "validation") for e in errors} or {"answered"}


def hostile_documents(base: str, pid: int, repeats: int) -> list[tuple]:
    rows = []
    with httpx.Client(base_url=base, timeout=60, trust_env=False) as client:
        for name, body in variable_bodies().items():
            content = orjson.dumps(body)
            cpu = cpu_seconds(pid)
            latencies, codes = [], set()
            for _ in range(max(repeats // 4, 3)):
                started = time.perf_counter()
                r = client.post("/graphql", content=content, headers={"content-type": "application/json"})
                latencies.append(time.perf_counter() - started)
                codes |= _codes(r)
            cpu = (cpu_seconds(pid) - cpu) / len(latencies) * 1000
            p50 = percentile(latencies, 0.5) * 1000
            rows.append((name, len(content), cpu, p50, ", ".join(sorted(codes))))
            print(f"  {name}: {cpu:.1f} ms CPU", file=sys.stderr)
        for name, query in documents().items():
            latencies, codes = [], set()
            cpu = cpu_seconds(pid)
            for i in range(repeats):
                varied = query.replace(" ", "  " if i % 2 else " \t", 1) + " " * i  # miss every cache
                started = time.perf_counter()
                r = client.post(
                    "/graphql",
                    json={"query": varied, "operationName": "Q0" if "Q0" in query else None},
                )
                latencies.append(time.perf_counter() - started)
                body = r.json()
                errors = body.get("errors", [])
                codes |= {(e.get("extensions") or {}).get("code", "validation") for e in errors}
                if not body.get("errors"):
                    codes.add("answered")
            cpu = (cpu_seconds(pid) - cpu) / repeats * 1000
            rows.append((name, len(query), cpu, percentile(latencies, 0.5) * 1000, ", ".join(sorted(codes))))
            print(f"  {name}: {cpu:.1f} ms CPU", file=sys.stderr)
    return rows


# --- 3. large bodies ------------------------------------------------------------------


def large_bodies(base: str, pid: int) -> list[tuple]:
    limit = get_settings().max_body_bytes
    rows = [("start", rss_mb(pid), "")]
    with httpx.Client(base_url=base, timeout=120, trust_env=False) as client:
        statuses = set()
        huge = b'{"query": "{ __typename }", "variables": {"s": "' + b"x" * (10 * 1024 * 1024) + b'"}}'
        for _ in range(30):
            statuses.add(_post_status(client, huge))
        rows.append(("after 30 x 10 MB bodies", rss_mb(pid), f"HTTP {sorted(statuses)}"))
        statuses = set()
        near = b'{"query": "{ __typename }", "variables": {"s": "' + b"x" * (limit - 100) + b'"}}'
        for _ in range(30):
            statuses.add(_post_status(client, near))
        rows.append((f"after 30 x {len(near) // 1024} KiB bodies", rss_mb(pid), f"HTTP {sorted(statuses)}"))
        statuses = set()
        for i in range(30):  # documents near the byte limit, each new: they must not stay cached
            doc = "{ __typename }" + " " * (get_settings().max_query_bytes - 40) + f"#{i}"
            statuses.add(client.post("/graphql", json={"query": doc}).status_code)
        rows.append(("after 30 documents near the query byte limit", rss_mb(pid), f"HTTP {sorted(statuses)}"))
    time.sleep(5)
    rows.append(("5 s later", rss_mb(pid), ""))
    return rows


def _post_status(client: httpx.Client, body: bytes) -> str:
    try:
        response = client.post("/graphql", content=body, headers={"content-type": "application/json"})
        return str(response.status_code)
    except httpx.TransportError:
        # The server answered 413 and closed while the client was still sending.
        return "closed while sending"


# --- output ---------------------------------------------------------------------------


def print_tables(floods: list[tuple], docs: list[tuple], memory: list[tuple], seconds: float) -> None:
    print(f"\n### `me` while 16 clients flood `login` ({seconds:.0f} s each)\n")
    print("| flood | me requests | me p50 ms | me p95 ms | server CPU % | sign-ins/s | rate-limited |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind, n, p50, p95, cpu, rate, limited in floods:
        print(f"| {kind} | {n} | {p50:.1f} | {p95:.1f} | {cpu:.0f} | {rate:.1f} | {limited} |")
    print("\n### Hostile documents, no token, every request a new text\n")
    print("| document | bytes | server CPU ms/request | p50 ms | answer |")
    print("|---|---:|---:|---:|---|")
    for name, size, cpu, p50, codes in docs:
        print(f"| {name} | {size} | {cpu:.1f} | {p50:.1f} | {codes} |")
    print("\n### Server RSS and large bodies\n")
    print("| moment | RSS MB | answers |")
    print("|---|---:|---|")
    for moment, rss, note in memory:
        print(f"| {moment} | {rss:.0f} | {note} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="each flood run (default 10)")
    parser.add_argument("--repeats", type=int, default=20, help="requests per hostile document (default 20)")
    parser.add_argument("--fresh", action="store_true", help=f"delete {DATA_DIR} first")
    args = parser.parse_args()
    if args.fresh and DATA_DIR.exists():
        shutil.rmtree(DATA_DIR)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    log_path = DATA_DIR / "server.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = start_server(port, log)
        try:
            wait_ready(proc, base, log_path)
            token = asyncio.run(_token(base))
            memory = large_bodies(base, proc.pid)
            floods = sign_in_floods(base, proc.pid, token, args.seconds)
            docs = hostile_documents(base, proc.pid, args.repeats)
        finally:
            stop_server(proc)
    print_tables(floods, docs, memory, args.seconds)


async def _token(base: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=60, trust_env=False) as client:
        return await login(client)


if __name__ == "__main__":
    main()
