"""An admin's review: approve (reserving the stock), reject; and cancelling, by whoever may,
until the order ships (giving back any stock it reserved)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.errors import InputInvalid, raise_problem
from modules import products as catalog
from modules.orders import models as m
from modules.orders.service.items import items_of
from modules.orders.service.workflow import RESERVED, allowed, locked_order, move, step_reason

_items = m.order_items


def reference(item: Any) -> str:
    """The stock movements of one item happen once each, however often they are retried."""
    return f"order-item:{item.id}"


async def _reserve(conn: AsyncConnection, actor: Actor, position: int, item: Any) -> None:
    """Reserve an item's quantity at the level that has most available; a product stocked
    nowhere is shipped by its manufacturer and reserves nothing."""
    levels = catalog.inventory_levels.c
    candidates = (
        await conn.execute(
            sa.select(levels.id, levels.available)
            .where(levels.product_id == item.product_id, levels.deactivated_at.is_(None))
            .order_by(levels.available.desc(), levels.id)
        )
    ).all()
    if not candidates:
        return
    for level in candidates:
        if level.available < item.quantity:
            break
        try:
            await catalog.reserve_stock(conn, actor, level.id, item.quantity, reference(item))
        except InputInvalid as exc:
            if any(p.code == "INSUFFICIENT_STOCK" for p in exc.problems):
                continue  # taken meanwhile: the next level may still have it
            raise
        update = sa.update(_items).where(_items.c.id == item.id).values(level_id=level.id)
        await conn.execute(update)
        return
    most = candidates[0].available
    raise_problem(
        f"items.{position}.quantity",
        "INSUFFICIENT_STOCK",
        f"{item.product_name}: {item.quantity} ordered, at most {most} available at one location",
    )


async def _release(conn: AsyncConnection, actor: Actor, order: Any) -> None:
    for item in await items_of(conn, order.id):
        if item.level_id is not None:
            await catalog.release_stock(conn, actor, item.level_id, item.quantity, reference(item))


async def approve_order(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    before = await locked_order(conn, values.get("id"), values.get("version"))
    allowed(before, "approveOrder")
    reason = step_reason(values, "approveOrder")
    for position, item in enumerate(await items_of(conn, before.id)):
        await _reserve(conn, actor, position, item)
    return await move(conn, actor, before, "approveOrder", reason, reviewed_by_user_id=actor.user_id)


async def reject_order(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    reason = step_reason(values, "rejectOrder")
    before = await locked_order(conn, values.get("id"), values.get("version"))
    return await move(
        conn, actor, before, "rejectOrder", reason, reviewed_by_user_id=actor.user_id, closed_at=sa.func.now()
    )


async def cancel_order(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    reason = step_reason(values, "cancelOrder")
    before = await locked_order(conn, values.get("id"), values.get("version"))
    allowed(before, "cancelOrder")
    if before.status in RESERVED:
        await _release(conn, actor, before)
    return await move(conn, actor, before, "cancelOrder", reason)
