#!/usr/bin/env python3
"""Live order status fan-out: websocket subscribers on one API process, order status
changes at a steady rate, commit-to-receipt latency (a benchmark, not a test).

On the benchmark's embedded database (`.medgraph/bench`, migrated to head), it starts
`medgraph serve --workers 1` and opens N websockets (graphql-transport-ws), each signed in
as the acme-medical owner and subscribed to `orderStatusChanged(orderId:)` of an order of
its own. A driver in this process then commits R status changes a second to those orders
(each: the order's version moved on and an `order.status_changed` event, in one
transaction, as a mutation would) and notes when each commit returned; each subscriber
notes when the change arrived. Reported: latency from commit to receipt (p50, p95, max),
events received / sent, and the API process's memory (RSS) before the sockets opened,
while they ran, and after they closed; the whole repeated `--rounds` times on the one
server (CPython keeps freed memory for reuse, so a leak shows as growth round on round).

    .venv/bin/python scripts/bench/fanout.py                          # 1,000 sockets, 50/s, 20 s
    .venv/bin/python scripts/bench/fanout.py --sockets 200 --rate 20 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import peer_db  # noqa: E402
import peer_systems as ps  # noqa: E402

from schema.relay import to_global_id  # noqa: E402

DATA_DIR = peer_db.ROOT / ".medgraph" / "bench"
TENANT, EMAIL = "acme-medical", "owner@acme-medical.test"
WATCH = """subscription($id: ID) { orderStatusChanged(orderId: $id) { toStatus version order { id } } }"""
LOGIN = """mutation($e: String!, $p: String!, $t: String!) { login(email: $e, password: $p, tenant: $t) {
  accessToken } }"""


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def token(base: str) -> str:
    from medgraph.demo import DEMO_PASSWORD

    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=60) as client:
        answer = await client.post(
            "/graphql", json={"query": LOGIN, "variables": {"e": EMAIL, "p": DEMO_PASSWORD, "t": TENANT}}
        )
    return answer.json()["data"]["login"]["accessToken"]  # type: ignore[no-any-return]


async def subscriber(
    url: str, bearer: str, order: str, received: dict, ready: asyncio.Event, stop: asyncio.Event
):  # type: ignore[no-untyped-def,type-arg]
    async with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=60, max_queue=None) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {bearer}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": WATCH, "variables": {"id": order}}}
            )
        )
        ready.set()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            at = time.perf_counter()
            message = json.loads(raw)
            if not (message.get("payload") or {}).get("data"):
                raise RuntimeError(f"not an event: {raw[:300]}")
            event = message["payload"]["data"]["orderStatusChanged"]
            received[(event["order"]["id"], event["version"])] = at


async def driver(db: peer_db.Database, tenant: str, orders: list, rate: float, seconds: float, sent: dict):  # type: ignore[no-untyped-def,type-arg]
    conn = await db.connect()
    try:
        interval, start = 1.0 / rate, time.perf_counter()
        n = 0
        while time.perf_counter() - start < seconds:
            pk, gid, facility, status = random.choice(orders)
            async with conn.transaction():
                await conn.execute("SELECT set_config('app.tenant_id', $1, true)", tenant)
                version = await conn.fetchval(
                    "UPDATE orders SET version = version + 1 WHERE id = $1 RETURNING version", pk
                )
                payload = {
                    "facility_id": str(facility),
                    "from_status": status,
                    "to_status": status,
                    "version": version,
                }
                await conn.execute(
                    "INSERT INTO domain_events (tenant_id, type, entity_type, entity_id, payload) "
                    "VALUES ($1, 'order.status_changed', 'Order', $2, $3::jsonb)",
                    tenant,
                    pk,
                    json.dumps(payload),
                )
            sent[(gid, version)] = time.perf_counter()
            n += 1
            await asyncio.sleep(max(0.0, start + n * interval - time.perf_counter()))
    finally:
        await conn.close()


async def run(args: argparse.Namespace, system: ps.System, db: peer_db.Database, header: bool) -> None:
    pid = system.proc.pid  # type: ignore[union-attr]
    conn = await db.connect()
    tenant = str(await conn.fetchval("SELECT id FROM tenants WHERE slug = $1", TENANT))
    async with conn.transaction():  # as the superuser: row-level security does not apply
        rows = await conn.fetch(
            "SELECT id, facility_id, status FROM orders WHERE tenant_id = $1 "
            "ORDER BY created_at DESC LIMIT $2",
            tenant,
            args.sockets,
        )
    await conn.close()
    orders = [(r["id"], to_global_id("Order", r["id"]), r["facility_id"], r["status"]) for r in rows]
    bearer = await token(system.base)
    url = system.base.replace("http://", "ws://") + "/graphql"
    before = rss_kib(pid)
    received: dict = {}  # type: ignore[type-arg]
    sent: dict = {}  # type: ignore[type-arg]
    stop = asyncio.Event()
    readies = [asyncio.Event() for _ in orders]
    tasks = []
    for (_, gid, _, _), ready in zip(orders, readies, strict=True):
        tasks.append(asyncio.create_task(subscriber(url, bearer, gid, received, ready, stop)))
        if len(tasks) % 50 == 0:
            await asyncio.sleep(0.05)  # do not open a thousand at once
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 300)
    await asyncio.sleep(2.0)  # each subscription reaches the hub
    connected = rss_kib(pid)
    await driver(db, tenant, orders, args.rate, args.seconds, sent)
    during = rss_kib(pid)
    await asyncio.sleep(2.0)  # the last events arrive
    stop.set()
    failures = [
        r for r in await asyncio.gather(*tasks, return_exceptions=True) if isinstance(r, BaseException)
    ]
    if failures:
        print(f"{len(failures)} subscribers failed, e.g. {failures[0]!r}", file=sys.stderr)
    await asyncio.sleep(5.0)
    after = rss_kib(pid)
    latencies = sorted((received[k] - t) * 1000 for k, t in sent.items() if k in received)
    if not latencies:
        raise SystemExit("no event arrived")
    p = statistics.quantiles(latencies, n=100)
    if header:
        print(
            "| sockets | changes/s | events sent | received | p50 ms | p95 ms | max ms "
            "| API RSS MiB: before / sockets open / end of load / after close |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---|")
    memory = " / ".join(f"{x / 1024:.0f}" for x in (before, connected, during, after))
    print(
        f"| {args.sockets} | {args.rate:g} | {len(sent)} | {len(latencies)} | {p[49]:.1f} | {p[94]:.1f} "
        f"| {latencies[-1]:.1f} | {memory} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="connect, load, close this often on one server (memory must settle)",
    )
    args = parser.parse_args()
    env = ps.medgraph_env(DATA_DIR)
    subprocess.run(
        [str(peer_db.ROOT / ".venv/bin/medgraph"), "migrate"], env=env, check=True, cwd=peer_db.ROOT
    )
    db = peer_db.start_database(DATA_DIR)
    os.environ["MEDGRAPH_MAX_SOCKETS_PER_USER"] = str(args.sockets + 10)
    system = ps.start_medgraph("medgraph fanout", DATA_DIR, 1)
    try:
        ps.wait_ready(system)
        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number}", file=sys.stderr)
            asyncio.run(run(args, system, db, header=round_number == 1))
    finally:
        ps.stop_process_group(system.proc)


if __name__ == "__main__":
    main()
