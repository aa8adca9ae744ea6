"""Every orders test runs with the background worker: a submitted order is checked there."""

from __future__ import annotations

import pytest

from tests.orders import orders_ops


@pytest.fixture(autouse=True)
def _intake(jobs_worker, owner_engine):  # type: ignore[no-untyped-def]
    orders_ops.WATCH["engine"] = owner_engine
    return jobs_worker
