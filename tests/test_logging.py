"""Every log line is one JSON object, the standard library's included, and an exception
is logged by type and frames only: its message may hold PHI."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import asyncio, gc, logging
from app.logging import configure_logging, get_logger
configure_logging("INFO", True)
get_logger().info("structlog line", n=1)
try:
    raise RuntimeError("patient Jane Roe, born 1970-01-01")
except RuntimeError:
    logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
logging.getLogger("sqlalchemy.pool").warning("multi\\nline %s", "warning")
async def lost():
    raise ValueError("MRN-1234")
async def main():
    asyncio.ensure_future(lost())
    await asyncio.sleep(0.01)
    gc.collect()
asyncio.run(main())
gc.collect()
"""


def test_every_line_is_json_and_no_exception_message_is_logged():
    from tests.conftest import ROOT

    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    assert len(entries) >= 3
    assert "Jane Roe" not in done.stderr and "MRN-1234" not in done.stderr
    failed = next(e for e in entries if e["event"] == "Exception in ASGI application")
    assert failed["error_type"] == "RuntimeError" and failed["frames"]
