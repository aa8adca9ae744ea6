#!/usr/bin/env python3
"""The load generator of peers.py, run as a process of its own so it never takes the
servers' event loops (it does compete for the machine's cores, as any client on the same
host does; its own CPU time is reported).

Protocol: one JSON line on stdin describes the run:

    {"kind": "http", "url": ..., "headers": {...}, "query": ..., "clients": 16,
     "warmup": 2.0, "seconds": 10.0}
    {"kind": "floor", "dsn": ..., "settings": [...5 values], "sql": ..., ...}

It warms up, prints {"phase": "warm"} and waits for a line on stdin (the parent reads
PostgreSQL's counters meanwhile), then runs the timed part and prints one JSON line with
requests, errors, the first error, p50/p95 latency, mean response bytes and its CPU time.

`http`: `clients` workers, each a keep-alive connection (httpx), POST the query in a loop;
an error is a non-200 answer, an answer with `errors`, or a transport failure.
`floor`: no HTTP: `clients` workers share an asyncpg pool; each request is a transaction
that sets the five settings (one statement) and runs the one SQL statement building the JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peer_queries import SET_CONFIG_SQL  # noqa: E402

Request = Callable[[], Awaitable[int]]  # one request; returns the response's size in bytes


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def drive(request: Request, clients: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    sizes: list[int] = []
    errors = 0
    first_error: str | None = None
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors, first_error
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                sizes.append(await request())
            except Exception as exc:  # noqa: BLE001 - every failure is counted, the first shown
                errors += 1
                first_error = first_error or f"{type(exc).__name__}: {str(exc)[:2000]}"
            latencies.append(time.perf_counter() - started)

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    wall = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "wall": wall,
        "errors": errors,
        "first_error": first_error,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "bytes": sum(sizes) / len(sizes) if sizes else 0,
        "loader_cpu": (time.process_time() - cpu) / wall,
    }


class BadAnswer(Exception):
    pass


async def http_request(spec: dict[str, Any]) -> tuple[Request, Callable[[], Awaitable[None]]]:
    import httpx

    limits = httpx.Limits(max_connections=spec["clients"], max_keepalive_connections=spec["clients"])
    client = httpx.AsyncClient(timeout=60, limits=limits, trust_env=False)
    payload = json.dumps({"query": spec["query"]}).encode()
    headers = {"content-type": "application/json", **spec["headers"]}

    async def request() -> int:
        r = await client.post(spec["url"], content=payload, headers=headers)
        if r.status_code != 200 or r.json().get("errors"):
            raise BadAnswer(f"HTTP {r.status_code} {r.text}")
        return len(r.content)

    return request, client.aclose


async def floor_request(spec: dict[str, Any]) -> tuple[Request, Callable[[], Awaitable[None]]]:
    import asyncpg

    async def no_reset(_: Any) -> None:  # the floor: nothing but the request's own statements
        return None

    pool = await asyncpg.create_pool(
        spec["dsn"], min_size=min(spec["clients"], 20), max_size=20, reset=no_reset
    )
    sql, settings = spec["sql"], spec["settings"]

    async def request() -> int:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(SET_CONFIG_SQL, *settings)
            body = await conn.fetchval(sql)
        return len(body.encode())

    return request, pool.close


def hey(spec: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The timed run by `hey` (Go; far lighter than Python on the client side, so the
    client leaves the cores to the servers): latency and status of every request from its
    CSV. It cannot read the answers: peers.py checks each system's answer before the runs."""
    import resource
    import subprocess

    headers = [arg for name, value in spec["headers"].items() for arg in ("-H", f"{name}: {value}")]
    command = ["hey", "-z", f"{seconds}s", "-c", str(spec["clients"]), "-m", "POST"]
    command += ["-T", "application/json", *headers, "-d", json.dumps({"query": spec["query"]})]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([*command, "-o", "csv", spec["url"]], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rows = [line.split(",") for line in done.stdout.splitlines()[1:] if line]
    latencies = [float(row[0]) for row in rows]
    errors = [row for row in rows if row[6] != "200"]
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "requests": len(rows),
        "wall": min(wall, seconds) if rows else wall,
        "errors": len(errors),
        "first_error": f"HTTP {errors[0][6]}" if errors else None,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "bytes": spec.get("bytes", 0),
        "loader_cpu": cpu / wall,
    }


async def main() -> None:
    loop = asyncio.get_running_loop()
    spec = json.loads(await loop.run_in_executor(None, sys.stdin.readline))
    if spec["kind"] == "http" and spec.get("loader") == "hey":
        await loop.run_in_executor(None, hey, spec, spec["warmup"])
        print(json.dumps({"phase": "warm"}), flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)
        print(json.dumps(await loop.run_in_executor(None, hey, spec, spec["seconds"])), flush=True)
        return
    make = http_request if spec["kind"] == "http" else floor_request
    request, close = await make(spec)
    try:
        await drive(request, spec["clients"], spec["warmup"])
        print(json.dumps({"phase": "warm"}), flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)
        print(json.dumps(await drive(request, spec["clients"], spec["seconds"])), flush=True)
    finally:
        await close()


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())
