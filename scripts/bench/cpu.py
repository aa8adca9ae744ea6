#!/usr/bin/env python3
"""Server CPU per request, in process (a benchmark, not a test).

Throughput over HTTP on a small shared machine swings by a third from run to run; the
CPU a request costs the API process swings far less, and it is what a code change
moves. This runs the real ASGI app in this process (httpx's ASGI transport, no socket)
against the benchmark's embedded database (`.medgraph/bench`, migrated and seeded like
`scripts/bench/run.py`), signs in as owner@acme-medical.test, then sends each scenario
of run.py one request at a time and reports, over the timed requests:

- CPU ms/request    this process's CPU time (time.process_time) per request: Python
                    work of the whole request, the database's own work excluded
- wall ms/request   elapsed time per request (includes waiting for the database)

    .venv/bin/python scripts/bench/cpu.py                  # 500 requests a scenario, best of 3
    .venv/bin/python scripts/bench/cpu.py --requests 200 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts" / "bench"))
os.environ.setdefault("MEDGRAPH_DATA_DIR", str(ROOT / ".medgraph" / "bench"))
os.environ.setdefault("MEDGRAPH_LOG_LEVEL", "WARNING")
os.environ.setdefault("MEDGRAPH_SIGNIN_ATTEMPTS_PER_ADDRESS", "1000000")
os.environ.setdefault("MEDGRAPH_SIGNIN_ATTEMPTS_PER_ACCOUNT", "1000000")

from run import LOGIN, LOGIN_MUTATION, SCENARIOS  # noqa: E402

from app.db import api_url_for  # noqa: E402
from app.logging import configure_logging  # noqa: E402
from app.settings import get_settings  # noqa: E402

try:  # the composition root moved from app/ to medgraph/ (issue 8); measure either
    from medgraph.asgi import create_app
    from medgraph.cli import prepare_database
    from medgraph.demo import DEMO_PASSWORD
except ImportError:  # pragma: no cover
    from app.cli import prepare_database  # type: ignore[no-redef]
    from app.demo import DEMO_PASSWORD  # type: ignore[no-redef]

    from app.asgi import create_app  # type: ignore[no-redef]


async def measure(client: httpx.AsyncClient, query: str, headers: dict, requests: int) -> tuple[float, float]:
    for _ in range(50):  # warm caches (documents, statements, the pool)
        await client.post("/graphql", json={"query": query}, headers=headers)
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(requests):
        r = await client.post("/graphql", json={"query": query}, headers=headers)
        if r.status_code != 200 or "errors" in r.json():
            raise RuntimeError(r.text[:300])
    return (time.process_time() - cpu) * 1000 / requests, (time.perf_counter() - wall) * 1000 / requests


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3, help="report the best round (least disturbed)")
    args = parser.parse_args()
    settings = get_settings()
    configure_logging("WARNING", True)
    owner_url = await prepare_database(settings, migrate=True, demo=True)
    app = create_app(settings, api_url_for(owner_url, settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        email, tenant = LOGIN
        variables = {"email": email, "password": DEMO_PASSWORD, "tenant": tenant}
        login = await client.post("/graphql", json={"query": LOGIN_MUTATION, "variables": variables})
        headers = {"authorization": f"Bearer {login.json()['data']['login']['accessToken']}"}
        print("| scenario | CPU ms/request | wall ms/request |\n|---|---:|---:|")
        for name, query in SCENARIOS.items():
            rounds = [await measure(client, query, headers, args.requests) for _ in range(args.rounds)]
            cpu, wall = min(rounds)
            print(f"| {name} | {cpu:.2f} | {wall:.2f} |", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
