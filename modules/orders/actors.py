"""The orders module's background jobs (see app/jobs.py).

Intake: `submitOrder` commits the order as `submitted` and emits `order.submitted`; the
outbox relay sends `orders.check_submission`, which runs the submission checks in a
worker and moves the order on to `pending_admin_review` or `needs_attention`. A periodic
job (`orders.requeue_stuck`) sends the check again for an order left `submitted` too long.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.jobs import JobEvent, job, messages_again
from app.schedule import periodic
from app.settings import Settings
from app.tables import failed_jobs
from modules.orders import models as m
from modules.orders.events import ORDER_SUBMITTED
from modules.orders.service.submission import check_orders, submission_rounds

JOB = "orders.check_submission"
STUCK_PAGE = 500  # a tick sends at most this many; the next tick sends the rest
BATCH = 100  # orders a worker checks in one transaction, when that many wait


@job(JOB, on=ORDER_SUBMITTED, batch=BATCH)
async def check_submission(conn: AsyncConnection, actor: Actor, events: Sequence[JobEvent]) -> None:
    """Idempotent: an order no longer `submitted` (checked before, or cancelled) is left
    as it is, so a second delivery changes nothing."""
    await check_orders(conn, actor, [_order(event) for event in events])


def _order(event: JobEvent) -> uuid.UUID:
    assert event.entity_id is not None, "order.submitted names its order"
    return event.entity_id


@periodic("orders.requeue_stuck", every=lambda settings: settings.intake_sweep_seconds)
async def requeue_stuck(conn: AsyncConnection, tenant_id: uuid.UUID, settings: Settings) -> list[Any]:
    """Orders `submitted` longer than MEDGRAPH_INTAKE_STUCK_AFTER_SECONDS (and for less than
    MEDGRAPH_INTAKE_SWEEP_HORIZON_SECONDS, a week by default): their check is
    sent again (its message lost to a broker's crash, say, or an order submitted before
    the intake ran in workers). One message ID per order and version: a copy sent again
    waits for the first, then finds its work done (app/job_runs.py); the check is
    idempotent besides."""
    cutoff = sa.func.now() - dt.timedelta(seconds=settings.intake_stuck_after_seconds)
    # An order stuck for longer than the horizon is not checked out of the blue: whatever
    # kept it there for so long wants a person (the review queue shows it as submitted).
    horizon = sa.func.now() - dt.timedelta(seconds=settings.intake_sweep_horizon_seconds)
    # An order whose check was parked as failed waits for an admin (retryFailedJob), not
    # for the sweep: sending it again every tick would only be parked again.
    parked = sa.exists().where(
        failed_jobs.c.actor == JOB,
        failed_jobs.c.retried_at.is_(None),
        # A parked job's one order (in a job parked before batches: its fourth argument).
        sa.func.coalesce(failed_jobs.c.args[(1, 0, 2)].astext, failed_jobs.c.args[3].astext)
        == sa.cast(m.orders.c.id, sa.Text),
    )
    since = sa.func.coalesce(m.orders.c.submitted_at, m.orders.c.created_at)
    found = await conn.execute(
        sa.select(m.orders.c.id, m.orders.c.version, m.orders.c.facility_id)
        .where(m.orders.c.status == "submitted", since < cutoff, since > horizon, ~parked)
        .order_by(since)
        .limit(STUCK_PAGE)
    )
    stuck = list(found)
    rounds = await submission_rounds(conn, [o.id for o in stuck])
    work = [
        (
            order.id,
            {
                "facility_id": order.facility_id,
                "status": "submitted",
                "round": rounds[order.id],
            },
            f"{order.id}:{order.version}",
        )
        for order in stuck
    ]
    return messages_again(JOB, tenant_id, ORDER_SUBMITTED, work)
