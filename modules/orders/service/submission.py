"""Submitting an order: it must be complete; its items take the catalog's name, code and
price of this moment; the order is committed as `submitted` and `order.submitted` is
emitted. The submission checks then run in a worker (`check_order`, from
`modules/orders/actors.py`), which moves the order on to review (`pending_admin_review`)
or back to the provider (`needs_attention`, with the reasons).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.errors import Problems
from app.events import emit
from app.writes import lock_row
from modules.orders import models as m
from modules.orders.checks import SUBMISSION_CHECKS, OrderUnderCheck
from modules.orders.events import ORDER_SUBMITTED
from modules.orders.service.items import items_of, reprice, totals
from modules.orders.service.workflow import allowed, locked_order, move, step_reason

# What a submitted order must name; anything else is for the checks to judge.
COMPLETE = {
    "provider_id": "Name the ordering provider",
    "patient_id": "Name the patient",
    "requested_delivery_date": "Give the requested delivery date",
}


async def submit_order(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    note = step_reason(values, "submitOrder")
    before = await locked_order(conn, values.get("id"), values.get("version"))
    allowed(before, "submitOrder")
    problems = Problems()
    for column, message in COMPLETE.items():
        if getattr(before, column) is None:
            problems.add(f"input.{column}", "REQUIRED", message)
    if before.item_count == 0:
        problems.add("input.items", "REQUIRED", "Add at least one item")
    problems.raise_if_any()
    await reprice(conn, actor, before)
    rounds = await conn.scalar(
        sa.select(sa.func.count()).where(
            m.order_status_history.c.order_id == before.id, m.order_status_history.c.to_status == "submitted"
        )
    )
    order = await move(conn, actor, before, "submitOrder", note, attention_reasons=[], **totals())
    payload = {"facility_id": order.facility_id, "status": order.status, "round": int(rounds or 0) + 1}
    await emit(conn, actor, ORDER_SUBMITTED, "Order", order.id, payload)
    return order


async def check_order(conn: AsyncConnection, actor: Actor, order_id: uuid.UUID, round: int) -> Any:
    """Run the submission checks on a submitted order and move it on. Idempotent: an order
    no longer `submitted` (checked already, or cancelled meanwhile) is left as it is."""
    order = await lock_row(conn, m.orders, order_id)
    if order is None or order.status != "submitted":
        return order
    results = await SUBMISSION_CHECKS.run(conn, OrderUnderCheck(order, await items_of(conn, order.id)))
    for position, (key, result) in enumerate(results):
        await conn.execute(
            sa.insert(m.order_checks).values(
                tenant_id=actor.tenant_id,
                order_id=order.id,
                round=round,
                check_key=key,
                outcome=result.outcome,
                reasons=list(result.reasons),
                position=round * 1000 + position,
            )
        )
    failures = [reason for _, result in results if result.outcome == "fail" for reason in result.reasons]
    if any(result.outcome == "fail" for _, result in results):
        reasons = failures or ["A submission check failed"]
        return await move(
            conn, actor, order, "checksFailed", "; ".join(reasons)[:2000], attention_reasons=reasons
        )
    return await move(conn, actor, order, "checksPassed", None, attention_reasons=[])


__all__ = ["check_order", "submit_order"]
