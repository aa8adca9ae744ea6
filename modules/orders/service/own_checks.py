"""The orders module's own submission checks: every item orderable and priced, the
manufacturer's minimum order amount, its lead time against the requested delivery date,
and stock to fill the order. Each asks the database once for its whole batch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.tables import readable
from modules import products as catalog
from modules.orders.checks import SUBMISSION_CHECKS, CheckResult, OrderUnderCheck

Batch = Sequence[OrderUnderCheck]


def _label(position: int, item: Any) -> str:
    return f"Item {position + 1} ({item.product_name})"


def _products(batch: Batch) -> list[Any]:
    return list({item.product_id for under in batch for item in under.items})


@SUBMISSION_CHECKS.register("orders.items_orderable")
async def items_orderable(conn: AsyncConnection, batch: Batch) -> list[CheckResult]:
    """Every item's product is still offered and has a price."""
    p = catalog.products.c
    offered = set(
        (
            await conn.execute(
                sa.select(p.id).where(
                    p.id.in_(_products(batch)), p.deactivated_at.is_(None), p.is_active.is_(True)
                )
            )
        ).scalars()
    )

    def judge(under: OrderUnderCheck) -> CheckResult:
        if not under.items:
            return CheckResult.fail("The order has no items")
        reasons = []
        for i, item in enumerate(under.items):
            if item.product_id not in offered:
                reasons.append(f"{_label(i, item)}: the product is no longer offered")
            elif item.unit_price is None:
                reasons.append(f"{_label(i, item)}: the product has no price")
        return CheckResult.fail(*reasons) if reasons else CheckResult.passed()

    return [judge(under) for under in batch]


async def _settings(conn: AsyncConnection, batch: Batch) -> dict[Any, Any]:
    """The batch's manufacturers' settings, by manufacturer."""
    makers = {under.order.manufacturer_id for under in batch} - {None}
    if not makers:
        return {}
    s = catalog.manufacturer_settings
    return {row.id: row for row in await conn.execute(sa.select(*readable(s)).where(s.c.id.in_(makers)))}


@SUBMISSION_CHECKS.register("orders.minimum_order_amount")
async def minimum_order_amount(conn: AsyncConnection, batch: Batch) -> list[CheckResult]:
    settings = await _settings(conn, batch)

    def judge(order: Any) -> CheckResult:
        least = getattr(settings.get(order.manufacturer_id), "minimum_order_amount", None)
        if least is None or order.total_amount >= least:
            return CheckResult.passed()
        return CheckResult.fail(
            f"The manufacturer's minimum order is {least:.2f}; this order comes to {order.total_amount:.2f}"
        )

    return [judge(under.order) for under in batch]


@SUBMISSION_CHECKS.register("orders.lead_time")
async def lead_time(conn: AsyncConnection, batch: Batch) -> list[CheckResult]:
    """The manufacturer needs its lead time (in days) before the requested delivery date."""
    settings = await _settings(conn, batch)
    today = dt.datetime.now(dt.UTC).date()

    def judge(order: Any) -> CheckResult:
        wanted = order.requested_delivery_date
        if wanted is None:
            return CheckResult.fail("No requested delivery date")
        days = getattr(settings.get(order.manufacturer_id), "lead_time_days", None) or 0
        earliest = today + dt.timedelta(days=days)
        if wanted < earliest:
            return CheckResult.fail(
                f"Delivery requested for {wanted.isoformat()}; the manufacturer needs {days} day(s), "
                f"so {earliest.isoformat()} at the earliest"
            )
        return CheckResult.passed()

    return [judge(under.order) for under in batch]


@SUBMISSION_CHECKS.register("orders.stock_available")
async def stock_available(conn: AsyncConnection, batch: Batch) -> list[CheckResult]:
    """A stocked product needs one level that can fill its item; a product not stocked
    anywhere is shipped by its manufacturer (a warning says so)."""
    levels = catalog.inventory_levels.c
    best: dict[Any, int] = {
        row[0]: row[1]
        for row in (
            await conn.execute(
                sa.select(levels.product_id, sa.func.max(levels.available))
                .where(levels.product_id.in_(_products(batch)), levels.deactivated_at.is_(None))
                .group_by(levels.product_id)
            )
        )
    }

    def judge(under: OrderUnderCheck) -> CheckResult:
        short, drop_shipped = [], []
        for i, item in enumerate(under.items):
            if item.product_id not in best:
                drop_shipped.append(f"{_label(i, item)}: not stocked here; the manufacturer ships it")
            elif best[item.product_id] < item.quantity:
                short.append(
                    f"{_label(i, item)}: {item.quantity} ordered, at most {best[item.product_id]} available"
                )
        if short:
            return CheckResult.fail(*short)
        return CheckResult.warn(*drop_shipped) if drop_shipped else CheckResult.passed()

    return [judge(under) for under in batch]
