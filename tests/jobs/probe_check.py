"""A submission check for the crash tests, imported by their worker processes
(`medgraph worker --import tests.jobs.probe_check`), which the environment steers:

- MEDGRAPH_TEST_PROBE_ORDERS: the order IDs (comma-separated) it acts on; any other
  order (another test's, left in the queue) it passes at once;
- MEDGRAPH_TEST_PROBE_LOG: a file each run appends "<order id>" to, before anything else;
- MEDGRAPH_TEST_PROBE_SLEEP: seconds to wait then (a window to kill the worker in);
- MEDGRAPH_TEST_PROBE_DIE: "1" kills its own worker process (SIGKILL): a poison message;
- MEDGRAPH_TEST_PROBE_RAISE: "1" raises an error whose message names a patient (fake PHI);
- MEDGRAPH_TEST_PROBE_OTHERS_SLEEP: seconds every other order waits before it passes (so
  that it is running when a probed order kills the worker).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from modules.orders import SUBMISSION_CHECKS, CheckResult, OrderUnderCheck

PATIENT = "Jane Q. Patient"


@SUBMISSION_CHECKS.register("tests.probe")
async def probe(_conn: Any, batch: Sequence[OrderUnderCheck]) -> list[CheckResult]:
    return [await _probe(under) for under in batch]


async def _probe(order: OrderUnderCheck) -> CheckResult:
    if str(order.order.id) not in os.environ.get("MEDGRAPH_TEST_PROBE_ORDERS", "").split(","):
        await asyncio.sleep(float(os.environ.get("MEDGRAPH_TEST_PROBE_OTHERS_SLEEP", "0")))
        return CheckResult("pass")
    log = os.environ.get("MEDGRAPH_TEST_PROBE_LOG")
    if log:
        await asyncio.to_thread(_append, Path(log), f"{order.order.id}\n")
    if os.environ.get("MEDGRAPH_TEST_PROBE_DIE") == "1":
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get("MEDGRAPH_TEST_PROBE_RAISE") == "1":
        raise RuntimeError(f"{PATIENT}'s record could not be read")
    await asyncio.sleep(float(os.environ.get("MEDGRAPH_TEST_PROBE_SLEEP", "0")))
    return CheckResult("pass")


def _append(path: Path, line: str) -> None:
    with path.open("a") as f:
        f.write(line)
