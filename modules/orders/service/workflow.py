"""The order workflow: which status may follow which, who may move it, and the one way an
order's row changes (`save`: version checked and bumped, audited; `move`: also the status,
with its history row and event).

Every change of an order names the version the caller saw. The row is locked first, so
two changes of one order run one after the other and the second finds the version moved
on: `STALE`, whatever it wanted. That is what makes two concurrent approvals end with
exactly one approved order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.errors import Problems, raise_not_found, raise_problem
from app.events import emit_all
from app.validators import Check
from app.writes import lock_row, update_row, update_rows
from modules.orders import models as m
from modules.orders.events import ORDER_STATUS_CHANGED

EDITABLE = ("draft", "needs_attention")


@dataclass(frozen=True)
class Step:
    """One move of the workflow: from any of `sources` to `target`, by a caller holding
    `permission` (None: the system moves it, never a client)."""

    mutation: str
    sources: tuple[str, ...]
    target: str
    permission: str | None
    reason_required: bool = False


STEPS = {
    step.mutation: step
    for step in (
        Step("submitOrder", EDITABLE, "submitted", "orders.create"),
        Step("checksPassed", ("submitted",), "pending_admin_review", None),
        Step("checksFailed", ("submitted",), "needs_attention", None),
        Step("approveOrder", ("pending_admin_review",), "approved", "orders.approve"),
        Step("rejectOrder", ("pending_admin_review", "needs_attention"), "rejected", "orders.approve", True),
        Step(
            "cancelOrder",
            (
                "draft",
                "submitted",
                "needs_attention",
                "pending_admin_review",
                "approved",
                "submitted_to_manufacturer",
                "confirmed",
            ),
            "cancelled",
            "orders.cancel",
            True,
        ),
        Step("markSubmittedToManufacturer", ("approved",), "submitted_to_manufacturer", "orders.fulfil"),
        Step("confirmOrder", ("submitted_to_manufacturer",), "confirmed", "orders.fulfil"),
        Step("recordShipment", ("confirmed", "shipped"), "shipped", "orders.fulfil"),
        Step("markDelivered", ("shipped",), "delivered", "orders.fulfil"),
    )
}
# Statuses after which the stock an approval reserved is still held (released on cancel).
RESERVED = ("approved", "submitted_to_manufacturer", "confirmed")
# When each status was reached, in the order's own columns.
STAMPS = {
    "submitted": "submitted_at",
    "needs_attention": "checked_at",
    "pending_admin_review": "checked_at",
    "approved": "reviewed_at",
    "rejected": "reviewed_at",
    "submitted_to_manufacturer": "manufacturer_submitted_at",
    "confirmed": "confirmed_at",
    "shipped": "shipped_at",
    "delivered": "delivered_at",
    "cancelled": "closed_at",
}


async def locked_order(conn: AsyncConnection, pk: uuid.UUID | None, version: Any, field: str = "id") -> Any:
    """The order to change, locked until commit, at the version the caller saw."""
    row = await lock_row(conn, m.orders, pk) if pk else None
    if row is None:
        raise_not_found(field, "order")
    if version is None:
        raise_problem("version", "REQUIRED", "Pass the order's version you last read")
    if isinstance(version, bool) or not isinstance(version, int) or version != row.version:
        raise_problem(
            "version", "STALE", f"The order has changed since (now version {row.version}): reload it"
        )
    return row


def step_reason(values: dict[str, Any], mutation: str) -> str | None:
    """The `reason` a step's input gives, checked: required where the workflow says so
    (rejecting, cancelling), a note otherwise; kept in the history row."""
    problems = Problems()
    required = STEPS[mutation].reason_required
    Check(problems).text("reason", values.get("reason"), required=required, max_len=2000)
    problems.raise_if_any()
    reason = values.get("reason")
    return reason.strip() if reason else None


def editable(order: Any) -> None:
    if order.status not in EDITABLE:
        raise_problem("id", "NOT_EDITABLE", f"A {order.status} order cannot be edited")


def allowed(order: Any, mutation: str) -> Step:
    step = STEPS[mutation]
    if order.status not in step.sources:
        raise_problem(
            "id", "ILLEGAL_TRANSITION", f"A {order.status} order cannot move to {step.target} ({mutation})"
        )
    return step


async def save(
    conn: AsyncConnection, actor: Actor, before: Any, values: dict[str, Any], action: str = "update"
) -> Any:
    """Change the order's row: its version grows by one, and the change is audited."""
    values = {**values, "version": before.version + 1}
    return await update_row(conn, actor, m.orders, "Order", before, values, action)


async def record_status(
    conn: AsyncConnection, actor: Actor, order: Any, from_status: str | None, reason: str | None = None
) -> None:
    """The history row and the event of a status the order has just reached."""
    await record_statuses(conn, actor, [(order, from_status, reason)])


async def record_statuses(
    conn: AsyncConnection, actor: Actor, reached: Sequence[tuple[Any, str | None, str | None]]
) -> None:
    """For each (order, the status it came from, reason): the history row and the event of
    the status it has just reached; one statement each for all of them."""
    history = [
        {
            "tenant_id": actor.tenant_id,
            "order_id": order.id,
            "from_status": from_status,
            "to_status": order.status,
            "reason": reason,
            "actor_user_id": actor.user_id,
        }
        for order, from_status, reason in reached
    ]
    await conn.execute(sa.insert(m.order_status_history), history)
    events = [
        (
            order.id,
            {
                "facility_id": order.facility_id,
                "from_status": from_status,
                "to_status": order.status,
                "version": order.version,
            },
        )
        for order, from_status, _ in reached
    ]
    await emit_all(conn, actor, ORDER_STATUS_CHANGED, "Order", events)


async def move(
    conn: AsyncConnection,
    actor: Actor,
    before: Any,
    mutation: str,
    reason: str | None = None,
    **values: Any,
) -> Any:
    """Move the order along the workflow (legal from its status, checked here too), with
    `values` changed alongside; one history row, one audit row, one event."""
    (after,) = await move_all(conn, actor, [before], mutation, [reason], **values)
    return after


async def move_all(
    conn: AsyncConnection,
    actor: Actor,
    befores: Sequence[Any],
    mutation: str,
    reasons: Sequence[str | None],
    each: Sequence[dict[str, Any]] | None = None,
    **values: Any,
) -> list[Any]:
    """Move many orders (read and locked) by one step at once, each with its reason:
    `values` changed on all of them and `each` order's own besides. For each, a history
    row, an audit row and an event, as `move` gives one order; a few statements in all."""
    if not befores:
        return []
    step = STEPS[mutation]
    for before in befores:
        allowed(before, mutation)
    shared = {"status": step.target, "version": m.orders.c.version + 1, **values}
    if (stamp := STAMPS.get(step.target)) is not None and stamp not in shared:
        shared[stamp] = sa.func.now()
    extras = each if each is not None else [{} for _ in befores]
    own = [{"status_reason": reason} | extra for reason, extra in zip(reasons, extras, strict=True)]
    afters = await update_rows(
        conn, actor, m.orders, "Order", befores, shared, own, action=f"status.{step.target}"
    )
    reached = [
        (after, before.status, reason) for after, before, reason in zip(afters, befores, reasons, strict=True)
    ]
    await record_statuses(conn, actor, reached)
    return afters
