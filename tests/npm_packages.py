"""npm packages the tests run (a reference client, a web page's files), each installed
from its pinned lock file under `.medgraph/test/<name>` (`npm ci`, once per lock file).
Skipped, with the reason, where node and npm are missing or the install fails."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def installed(package: Path, name: str, *extra_files: str) -> Path:
    """The package directory `package` (package.json, package-lock.json and `extra_files`)
    installed as `.medgraph/test/<name>`: the directory to run it in."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed")
    lock = (package / "package-lock.json").read_bytes()
    target = ROOT / ".medgraph" / "test" / name
    target.mkdir(parents=True, exist_ok=True)
    for file in ("package.json", "package-lock.json", *extra_files):
        shutil.copy(package / file, target / file)
    stamp = target / "node_modules" / ".installed-lock"
    if not stamp.exists() or stamp.read_bytes() != lock:
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=target, capture_output=True, timeout=300
        )
        if done.returncode != 0:
            pytest.skip(f"npm ci failed: {done.stderr.decode()[-300:]}")
        stamp.write_bytes(lock)
    return target
