"""The systems peers.py compares: starting them on the benchmark's database, waiting until
they answer, counting their OS processes, and stopping every one of them.

Each server runs in a session (process group) of its own, so a terminal Ctrl-C reaches
only the benchmark, which then stops each group: SIGINT, then SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from peer_db import ROOT, Database

PEER_DIR = Path(__file__).resolve().parent / "postgraphile"
READY_TIMEOUT = 180.0
MIN_NODE = 22  # postgraphile 5 declares engines: node >= 22


@dataclass
class System:
    name: str
    kind: str  # "medgraph", "postgraphile" or "floor"
    base: str = ""  # http://127.0.0.1:port (HTTP systems)
    proc: subprocess.Popen | None = None
    log: Path | None = None
    one_process: bool = False  # its /metrics counter covers every request
    notes: list[str] = field(default_factory=list)

    def processes(self) -> int:
        """OS processes of this system: the server and all its children (the floor runs
        inside the load generator's one process)."""
        if self.proc is None:
            return 1
        try:
            leader = psutil.Process(self.proc.pid)
            return 1 + len(leader.children(recursive=True))
        except psutil.NoSuchProcess:
            return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def medgraph_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MEDGRAPH_DATABASE_URL")}
    env.update(MEDGRAPH_DATA_DIR=str(data_dir), MEDGRAPH_LOG_LEVEL="WARNING")
    # Every run signs in again from one address; sign-in limits are not what this measures.
    env.update(MEDGRAPH_SIGNIN_ATTEMPTS_PER_ADDRESS="1000000", MEDGRAPH_SIGNIN_ATTEMPTS_PER_ACCOUNT="1000000")
    return env


def medgraph_workers_flag() -> bool:
    """Whether this checkout's `medgraph serve` takes `--workers`."""
    out = subprocess.run(
        [str(ROOT / ".venv/bin/medgraph"), "serve", "--help"], capture_output=True, text=True, check=False
    )
    return "--workers" in out.stdout


def start_medgraph(name: str, data_dir: Path, workers: int | None) -> System:
    port = free_port()
    log = data_dir / f"{name.replace(' ', '_')}.log"
    cmd = [str(ROOT / ".venv/bin/medgraph"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    proc = _spawn(cmd, ROOT, medgraph_env(data_dir), log)
    return System(name, "medgraph", f"http://127.0.0.1:{port}", proc, log, one_process=workers == 1)


def _spawn(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _node_major(node: str) -> int:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True)
        return int(out.stdout.strip().lstrip("v").split(".")[0])
    except (OSError, subprocess.SubprocessError, ValueError):
        return 0


def install_postgraphile(cache: Path) -> tuple[str | None, str]:
    """Copy scripts/bench/postgraphile/ to `cache` and `npm ci` there when its lock file
    changed; return (node binary, why not) — the node binary is the one the `node` package
    installs (Node 22), or the system's if that is new enough."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return None, "node and npm are not both on PATH: PostGraphile skipped"
    cache.mkdir(parents=True, exist_ok=True)
    for source in PEER_DIR.iterdir():
        if source.is_file():
            shutil.copy2(source, cache / source.name)
    lock = (PEER_DIR / "package-lock.json").read_text()
    stamp = cache / "node_modules" / ".medgraph-installed-lock.json"
    if not stamp.exists() or stamp.read_text() != lock:
        print(f"installing PostGraphile with npm into {cache} (first run only)", file=sys.stderr)
        with open(cache / "npm.log", "wb") as log:
            done = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"], cwd=cache, stdout=log, stderr=subprocess.STDOUT
            )
        if done.returncode != 0:
            return None, f"npm ci failed (see {cache / 'npm.log'}): PostGraphile skipped"
        stamp.write_text(lock)
    for node in (str(cache / "node_modules" / ".bin" / "node"), shutil.which("node") or "node"):
        if _node_major(node) >= MIN_NODE:
            return node, ""
    return None, f"no Node >= {MIN_NODE} (the npm package `node` did not install): PostGraphile skipped"


def start_postgraphile(node: str, cache: Path, db: Database, settings: dict[str, str]) -> System:
    port = free_port()
    env = dict(os.environ)
    env.update(
        PGHOST=db.socket_dir,
        PGPORT=str(db.port),
        PGUSER=db.api_role,
        PGDATABASE="medgraph",
        PORT=str(port),
        MEDGRAPH_PG_SETTINGS=json.dumps(settings),
        NODE_ENV="production",
        GRAPHILE_ENV="production",
    )
    log = db.data_dir / "postgraphile.log"
    proc = _spawn([node, "server.mjs"], cache, env, log)
    return System("postgraphile", "postgraphile", f"http://127.0.0.1:{port}", proc, log, one_process=True)


def wait_ready(system: System) -> None:
    """medgraph: /readyz answers 200; PostGraphile: `{ __typename }` answers 200."""
    assert system.proc is not None and system.log is not None
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if system.proc.poll() is not None:
            raise RuntimeError(
                f"{system.log.read_text()[-4000:]}\n{system.name} exited with {system.proc.returncode}"
                f" before it was ready (its log: {system.log})"
            )
        try:
            if system.kind == "medgraph":
                r = httpx.get(f"{system.base}/readyz", timeout=2, trust_env=False)
            else:
                r = httpx.post(f"{system.base}/graphql", json={"query": "{ __typename }"}, trust_env=False)
            if r.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{system.name} not ready after {READY_TIMEOUT:.0f} s (log: {system.log})")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def stop_process_group(proc: subprocess.Popen | None, grace: float = 20.0) -> None:
    """SIGINT to the whole group (a server and its workers), then SIGTERM, then SIGKILL."""
    if proc is None:
        return
    pgid = proc.pid  # a session leader: its group id is its pid
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None and not _group_alive(pgid):
            return
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            proc.poll()
            if proc.returncode is not None and not _group_alive(pgid):
                return
            time.sleep(0.1)
    print(f"warning: process group {pgid} still alive after SIGKILL", file=sys.stderr)


def stop_all(systems: list[System]) -> None:
    for system in systems:
        stop_process_group(system.proc)
