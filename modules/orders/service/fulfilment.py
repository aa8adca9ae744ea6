"""After approval: forwarded to the manufacturer, confirmed by it, shipped in one or more
shipments (the reserved stock leaves with the first), delivered."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor, write_audit
from app.errors import Problems, raise_not_found, raise_problem
from app.events import emit
from app.tables import readable
from app.validators import URL, Check
from app.writes import lock_row
from modules import products as catalog
from modules.orders import models as m
from modules.orders.events import SHIPMENT_RECORDED
from modules.orders.service.items import items_of
from modules.orders.service.review import reference
from modules.orders.service.workflow import allowed, locked_order, move, save, step_reason

_shipments = m.shipments
LATEST_SKEW = dt.timedelta(days=1)  # a timestamp a little ahead is a clock; far ahead is a typo


async def mark_submitted_to_manufacturer(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    note = step_reason(values, "markSubmittedToManufacturer")
    before = await locked_order(conn, values.get("id"), values.get("version"))
    return await move(conn, actor, before, "markSubmittedToManufacturer", note)


async def confirm_order(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    note = step_reason(values, "confirmOrder")
    before = await locked_order(conn, values.get("id"), values.get("version"))
    return await move(conn, actor, before, "confirmOrder", note)


def _when(problems: Problems, name: str, value: dt.datetime | None) -> None:
    if value is None:
        return
    if value.tzinfo is None:
        problems.add(f"input.{name}", "INVALID", "Give a time zone (e.g. Z)")
    elif value > dt.datetime.now(dt.UTC) + LATEST_SKEW:
        problems.add(f"input.{name}", "INVALID", "Not in the future")
    elif value.year < 2000:
        problems.add(f"input.{name}", "INVALID", "Not before 2000")


def _check_shipment(values: dict[str, Any]) -> None:
    problems = Problems()
    check = Check(problems)
    check.text("carrier", values.get("carrier"), required=True, max_len=100)
    check.text("tracking_number", values.get("tracking_number"), max_len=100)
    check.text("notes", values.get("notes"), max_len=2000)
    _when(problems, "shipped_at", values.get("shipped_at"))
    for i, url in enumerate(values.get("document_urls") or []):
        if not URL.fullmatch(url):
            problems.add(f"input.documentUrls.{i}", "INVALID", "Not an http(s) URL")
    if len(values.get("document_urls") or []) > 20:
        problems.add("input.documentUrls", "TOO_LONG", "At most 20 URLs")
    problems.raise_if_any()


async def record_shipment(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    """A package left: the order is shipped. The first shipment takes the reserved stock
    out of inventory; later ones are more packages of the same order."""
    _check_shipment(values)
    before = await locked_order(conn, values.get("order_id"), values.get("version"), "order_id")
    allowed(before, "recordShipment")
    row = {
        "tenant_id": actor.tenant_id,
        "order_id": before.id,
        "carrier": values["carrier"].strip(),
        "tracking_number": (values.get("tracking_number") or "").strip() or None,
        "shipped_at": values.get("shipped_at") or sa.func.now(),
        "document_urls": values.get("document_urls") or [],
        "notes": values.get("notes"),
        "created_by_user_id": actor.user_id,
    }
    shipment = (await conn.execute(sa.insert(_shipments).values(row).returning(*readable(_shipments)))).one()
    await write_audit(conn, actor, "shipment.create", "Shipment", shipment.id, None, shipment)
    await emit(
        conn, actor, SHIPMENT_RECORDED, "Shipment", shipment.id, {"order_id": before.id, "delivered": False}
    )
    if before.status == "shipped":
        return await save(conn, actor, before, {}, "shipment")
    for item in await items_of(conn, before.id):
        if item.level_id is not None:
            await catalog.ship_stock(conn, actor, item.level_id, item.quantity, reference(item))
    return await move(conn, actor, before, "recordShipment", None, shipped_at=shipment.shipped_at)


async def mark_delivered(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    """A shipment arrived (`shipmentId`), or all of them; the order is delivered when every
    shipment is."""
    problems = Problems()
    _when(problems, "delivered_at", values.get("delivered_at"))
    problems.raise_if_any()
    before = await locked_order(conn, values.get("id"), values.get("version"))
    allowed(before, "markDelivered")
    s = _shipments.c
    pending = sa.select(*readable(_shipments)).where(s.order_id == before.id, s.delivered_at.is_(None))
    if "shipment_id" in values and values["shipment_id"] is not None:
        named = await lock_row(conn, _shipments, values["shipment_id"])
        if named is None or named.order_id != before.id:
            raise_not_found("shipment_id", "shipment of this order")
        pending = pending.where(s.id == named.id)
    arrived = values.get("delivered_at") or dt.datetime.now(dt.UTC)
    for shipment in (await conn.execute(pending.with_for_update())).all():
        if arrived < shipment.shipped_at:
            raise_problem("delivered_at", "INVALID", "A shipment arrives after it ships")
        update = (
            sa.update(_shipments)
            .where(s.id == shipment.id)
            .values(delivered_at=arrived, updated_at=sa.func.now())
        )
        after = (await conn.execute(update.returning(*readable(_shipments)))).one()
        await write_audit(conn, actor, "shipment.deliver", "Shipment", shipment.id, shipment, after)
        await emit(
            conn,
            actor,
            SHIPMENT_RECORDED,
            "Shipment",
            shipment.id,
            {"order_id": before.id, "delivered": True},
        )
    undelivered = await conn.scalar(
        sa.select(sa.func.count()).where(s.order_id == before.id, s.delivered_at.is_(None))
    )
    if undelivered:
        return await save(conn, actor, before, {}, "delivery")
    return await move(
        conn,
        actor,
        before,
        "markDelivered",
        None,
        delivered_at=arrived,
        actual_delivery_date=arrived.date(),
        closed_at=sa.func.now(),
    )
