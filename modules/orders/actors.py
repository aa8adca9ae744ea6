"""The orders module's background jobs (see app/jobs.py).

Intake: `submitOrder` commits the order as `submitted` and emits `order.submitted`; the
outbox relay sends `orders.check_submission`, which runs the submission checks in a
worker and moves the order on to `pending_admin_review` or `needs_attention`.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.jobs import JobEvent, job
from modules.orders.events import ORDER_SUBMITTED
from modules.orders.service.submission import check_order


@job("orders.check_submission", on=ORDER_SUBMITTED)
async def check_submission(conn: AsyncConnection, actor: Actor, event: JobEvent) -> None:
    """Idempotent: an order no longer `submitted` (checked before, or cancelled) is left
    as it is, so a second delivery changes nothing."""
    assert event.entity_id is not None, "order.submitted names its order"
    await check_order(conn, actor, event.entity_id, int(event.payload["round"]))
