"""Sales reps: who acquires orders, and to whom they report (commissions build on this)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.errors import Problems, raise_not_found, raise_problem
from app.events import emit
from app.validators import Check
from app.writes import active_row, deactivate_row, existing_row, insert_row, lock_row, update_row
from modules import tenancy
from modules.orders import models as m
from modules.orders.events import SALES_REP_CHANGED

SALES_REP_UNIQUE = {"sales_reps_tenant_id_user_id_key": "input.userId"}
FIELDS = (
    "name",
    "email",
    "phone",
    "employee_id",
    "territory",
    "commission_rate",
    "parent_share_percent",
    "parent_rep_id",
    "user_id",
)
MAX_DEPTH = 10  # a hierarchy deeper than this is a loop or a mistake
_reps = m.sales_reps


def _check(values: dict[str, Any], creating: bool) -> None:
    problems = Problems()
    check = Check(problems)
    check.present(values, ("name",), ("name",), creating)
    check.text("name", values.get("name"))
    check.email("email", values.get("email"))
    check.phone("phone", values.get("phone"))
    check.text("employee_id", values.get("employee_id"), max_len=50)
    check.text("territory", values.get("territory"), max_len=200)
    check.percent("commission_rate", values.get("commission_rate"))
    check.percent("parent_share_percent", values.get("parent_share_percent"))
    problems.raise_if_any()


async def _parent(conn: AsyncConnection, rep_id: uuid.UUID | None, parent_id: uuid.UUID | None) -> None:
    """The parent exists, is active, and is not the rep itself or one of its own reports."""
    if parent_id is None:
        return
    parent = await active_row(conn, _reps, parent_id, "parent_rep_id", "sales rep", shared=True)
    seen, current = 0, parent
    while current is not None and seen < MAX_DEPTH:
        if rep_id is not None and current.id == rep_id:
            raise_problem("parent_rep_id", "CYCLE", "A rep cannot report to one of their own reports")
        if current.parent_rep_id is None:
            return
        current = await lock_row(conn, _reps, current.parent_rep_id, shared=True)
        seen += 1
    if seen >= MAX_DEPTH:
        raise_problem("parent_rep_id", "INVALID", f"A hierarchy is at most {MAX_DEPTH} levels deep")


async def _user(conn: AsyncConnection, values: dict[str, Any]) -> None:
    if values.get("user_id") is not None:
        user = await lock_row(conn, tenancy.users, values["user_id"], shared=True)
        if user is None:
            raise_not_found("user_id", "user")
        if not user.is_active:
            raise_problem("user_id", "INACTIVE", "The user is deactivated")


async def create_sales_rep(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    _check(values, creating=True)
    await _user(conn, values)
    await _parent(conn, None, values.get("parent_rep_id"))
    row = await insert_row(conn, actor, _reps, "SalesRep", {k: values[k] for k in FIELDS if k in values})
    await emit(conn, actor, SALES_REP_CHANGED, "SalesRep", row.id)
    return row


async def update_sales_rep(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    pk = values.pop("id", None)
    _check(values, creating=False)
    before = await existing_row(conn, _reps, pk, "sales rep")
    await _user(conn, values)
    if "parent_rep_id" in values:
        await _parent(conn, before.id, values["parent_rep_id"])
    row = await update_row(
        conn, actor, _reps, "SalesRep", before, {k: values[k] for k in FIELDS if k in values}
    )
    await emit(conn, actor, SALES_REP_CHANGED, "SalesRep", row.id)
    return row


async def deactivate_sales_rep(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    before = await existing_row(conn, _reps, values.get("id"), "sales rep")
    if before.deactivated_at is not None:
        return before
    row = await deactivate_row(conn, actor, _reps, "SalesRep", before)
    await emit(conn, actor, SALES_REP_CHANGED, "SalesRep", row.id)
    return row
