"""Submitting an order: it must be complete; its items take the catalog's name, code and
price of this moment; the order is committed as `submitted` and `order.submitted` is
emitted. The submission checks then run in a worker (`check_orders`, from
`modules/orders/actors.py`), which moves the order on to review (`pending_admin_review`)
or back to the provider (`needs_attention`, with the reasons).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.errors import Problems
from app.events import emit
from app.writes import lock_rows
from modules.orders import models as m
from modules.orders.checks import SUBMISSION_CHECKS, OrderUnderCheck
from modules.orders.events import ORDER_SUBMITTED
from modules.orders.service.items import items_of_orders, reprice, totals
from modules.orders.service.workflow import allowed, locked_order, move, move_all, step_reason

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
    order = await move(conn, actor, before, "submitOrder", note, attention_reasons=[], **totals())
    rounds = await submission_rounds(conn, [order.id])
    payload = {"facility_id": order.facility_id, "status": order.status, "round": rounds[order.id]}
    await emit(conn, actor, ORDER_SUBMITTED, "Order", order.id, payload)
    return order


async def check_orders(conn: AsyncConnection, actor: Actor, order_ids: Sequence[uuid.UUID]) -> int:
    """Run the submission checks on submitted orders and move each on: to review, or to
    needs_attention with the failures' reasons. The whole batch costs a fixed number of
    statements, however many orders it holds. Idempotent: an order no longer `submitted`
    (checked already, or cancelled meanwhile) is left as it is. Answers how many orders
    it checked."""
    waiting = [o for o in await lock_rows(conn, m.orders, list(set(order_ids))) if o.status == "submitted"]
    if not waiting:
        return 0
    rounds = await submission_rounds(conn, [o.id for o in waiting])
    items = await items_of_orders(conn, [o.id for o in waiting])
    results = await SUBMISSION_CHECKS.run(conn, [OrderUnderCheck(o, items[o.id]) for o in waiting])
    rows = [
        {
            "tenant_id": actor.tenant_id,
            "order_id": order.id,
            "round": rounds[order.id],
            "check_key": key,
            "outcome": result.outcome,
            "reasons": list(result.reasons),
            "position": rounds[order.id] * 1000 + position,
        }
        for order, found in zip(waiting, results, strict=True)
        for position, (key, result) in enumerate(found)
    ]
    if rows:
        await conn.execute(sa.insert(m.order_checks), rows)
    passed, failed, failures = [], [], []
    for order, found in zip(waiting, results, strict=True):
        if any(result.outcome == "fail" for _, result in found):
            failed.append(order)
            reasons = [reason for _, result in found if result.outcome == "fail" for reason in result.reasons]
            failures.append(reasons or ["A submission check failed"])
        else:
            passed.append(order)
    await move_all(conn, actor, passed, "checksPassed", [None] * len(passed), attention_reasons=[])
    await move_all(
        conn,
        actor,
        failed,
        "checksFailed",
        ["; ".join(reasons)[:2000] for reasons in failures],
        [{"attention_reasons": reasons} for reasons in failures],
    )
    return len(waiting)


async def submission_rounds(conn: AsyncConnection, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Each order's submission round, as its history says (read under the order's lock):
    a message that names an older round (a copy sent again after a resubmission) checks
    the round the order is in, never one it has left."""
    history = m.order_status_history.c
    found = await conn.execute(
        sa.select(history.order_id, sa.func.count())
        .where(history.order_id.in_(order_ids), history.to_status == "submitted")
        .group_by(history.order_id)
    )
    counted = {order_id: int(count) for order_id, count in found}
    return {order_id: max(counted.get(order_id, 0), 1) for order_id in order_ids}


__all__ = ["check_orders", "submission_rounds", "submit_order"]
