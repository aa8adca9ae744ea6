"""An order's items: each names a product (and a size), a quantity, and keeps the product's
name, billing code and price as they were when ordered. The order keeps its total, item
count and manufacturer (all items come from one) in step with its items."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor, write_audit
from app.errors import Problems, raise_not_found, raise_problem
from app.events import emit
from app.tables import readable
from app.validators import Check
from app.writes import active_row, lock_row
from modules import products as catalog
from modules.orders import models as m
from modules.orders.events import ORDER_UPDATED
from modules.orders.service.workflow import editable, locked_order, save

MAX_QUANTITY = 100_000
MAX_ITEMS = 200
CENT = Decimal("0.01")
_items = m.order_items


def check_quantity(problems: Problems, field: str, value: Any, required: bool = True) -> None:
    if value is None:
        if required:
            problems.add(field, "REQUIRED", "This field is required")
        return
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(field, "INVALID", "A whole number is expected")
    elif value < 0:
        problems.add(field, "NEGATIVE", "Must be a positive whole number")
    elif value == 0:
        problems.add(field, "INVALID", "Must be at least 1")
    elif value > MAX_QUANTITY:
        problems.add(field, "INVALID", f"At most {MAX_QUANTITY:,}")


def _check_item(problems: Problems, prefix: str, item: dict[str, Any], creating: bool) -> None:
    check = Check(problems, f"input{prefix}")
    if creating and item.get("product_id") is None:
        problems.add(f"input{prefix}.productId", "REQUIRED", "This field is required")
    check_quantity(problems, f"input{prefix}.quantity", item.get("quantity"), creating or "quantity" in item)
    check.text("notes", item.get("notes"), max_len=1000)
    check.json_object("specifications", item.get("specifications"))
    if not creating and "specifications" in item and item["specifications"] is None:
        problems.add(f"input{prefix}.specifications", "REQUIRED", "Send {} instead of null")


def unit_price(product: Any, size: Any | None) -> Decimal | None:
    """A sized product priced by area costs its price per cm² times the size's area; any
    other its national ASP; a product with neither has no price (the checks refuse it)."""
    if size is not None and size.area_cm2 is not None and product.price_per_cm2 is not None:
        return (product.price_per_cm2 * size.area_cm2).quantize(CENT)
    return product.national_asp


async def snapshot_of(conn: AsyncConnection, product_id: Any, size_id: Any, prefix: str) -> dict[str, Any]:
    """The product (and size) an item names, as the item keeps them. The product is locked
    for share: it cannot be deactivated or repriced before the order commits."""
    field = f"{prefix}.product_id".lstrip(".")
    product = await active_row(conn, catalog.products, product_id, field, "product", shared=True)
    if not product.is_active:
        raise_problem(field, "INACTIVE", "The product is not offered")
    size = None
    if size_id is not None:
        size = await lock_row(conn, catalog.product_sizes, size_id, shared=True)
        if size is None or size.product_id != product.id:
            raise_problem(
                f"{prefix}.size_id".lstrip("."), "NOT_FOUND", "No size of this product with this ID"
            )
    return {
        "product_id": product.id,
        "size_id": size.id if size is not None else None,
        "product_name": product.name,
        "billing_code": product.code,
        "code_type": product.code_type,
        "size_label": size.label if size is not None else None,
        "unit_price": unit_price(product, size),
        "_manufacturer_id": product.manufacturer_id,
    }


def _same_maker(order_maker: Any, snapshot: dict[str, Any], prefix: str) -> Any:
    maker = snapshot.pop("_manufacturer_id")
    if order_maker is not None and maker != order_maker:
        raise_problem(
            f"{prefix}.product_id".lstrip("."),
            "MIXED_MANUFACTURERS",
            "An order's items come from one manufacturer: start another order for this one",
        )
    return maker


def totals() -> dict[str, Any]:
    """The order's total, count and manufacturer, as SQL over its items (after the change)."""
    i = _items.c
    of_order = i.order_id == m.orders.c.id
    # Two levels down from the UPDATE: correlated by name, or it reads any order's item.
    one_item = sa.select(i.product_id).where(of_order).limit(1).correlate(m.orders).scalar_subquery()
    maker = sa.select(catalog.products.c.manufacturer_id).where(catalog.products.c.id == one_item)
    return {
        "total_amount": sa.select(sa.func.coalesce(sa.func.sum(i.line_total), 0))
        .where(of_order)
        .scalar_subquery(),
        "item_count": sa.select(sa.func.count()).where(of_order).scalar_subquery(),
        "manufacturer_id": maker.scalar_subquery(),
    }


async def items_of(conn: AsyncConnection, order_id: uuid.UUID) -> list[Any]:
    """An order's items, in order."""
    return (await items_of_orders(conn, [order_id]))[order_id]


async def items_of_orders(
    conn: AsyncConnection, order_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Any]]:
    """Each order's items, in order, in one statement (an order without items: [])."""
    i = _items.c
    stmt = (
        sa.select(*readable(_items)).where(i.order_id.in_(order_ids)).order_by(i.order_id, i.position, i.id)
    )
    found: dict[uuid.UUID, list[Any]] = {pk: [] for pk in order_ids}
    for row in await conn.execute(stmt):
        found[row.order_id].append(row)
    return found


async def _item_count(conn: AsyncConnection, order_id: uuid.UUID) -> int:
    return int(await conn.scalar(sa.select(sa.func.count()).where(_items.c.order_id == order_id)) or 0)


async def add_items(
    conn: AsyncConnection, actor: Actor, order: Any, items: list[dict[str, Any]], *, field: str = ""
) -> None:
    """Add items to an order already locked and checked (its totals are the caller's to
    bring up to date: `totals()`)."""
    problems = Problems()
    prefixes = [f".{field}.{i}" if field else "" for i in range(len(items))]
    for prefix, item in zip(prefixes, items, strict=True):
        _check_item(problems, prefix, item, creating=True)
    problems.raise_if_any()
    count = await _item_count(conn, order.id)
    if count + len(items) > MAX_ITEMS:
        raise_problem(field or "product_id", "INVALID", f"An order holds at most {MAX_ITEMS} items")
    maker = order.manufacturer_id
    for position, (prefix, item) in enumerate(zip(prefixes, items, strict=True), start=count):
        snapshot = await snapshot_of(conn, item["product_id"], item.get("size_id"), prefix)
        maker = _same_maker(maker, snapshot, prefix)
        row = {"tenant_id": actor.tenant_id, "order_id": order.id, "quantity": item["quantity"]}
        row |= {"notes": item.get("notes"), "specifications": item.get("specifications") or {}}
        row |= snapshot | {"position": position}
        added = (await conn.execute(sa.insert(_items).values(row).returning(*readable(_items)))).one()
        await write_audit(conn, actor, "orderitem.create", "OrderItem", added.id, None, added)


async def _order_of_item(conn: AsyncConnection, values: dict[str, Any]) -> tuple[Any, Any]:
    """The item named by `id` and its order, locked at the caller's version, editable.

    The order is locked before the item, as every other change of an order does (a
    submission locks the order, then reprices its items): locking the item first would
    let the two wait on each other."""
    item_id = values.get("id")
    i = _items.c
    order_id = await conn.scalar(sa.select(i.order_id).where(i.id == item_id)) if item_id else None
    if order_id is None:
        raise_not_found("id", "order item")
    order = await locked_order(conn, order_id, values.get("version"))
    editable(order)
    item = await lock_row(conn, _items, item_id) if item_id else None  # now that the order is held
    if item is None:
        raise_not_found("id", "order item")
    return order, item


async def _changed(conn: AsyncConnection, actor: Actor, order: Any) -> Any:
    after = await save(conn, actor, order, totals(), "items")
    payload = {"facility_id": after.facility_id, "status": after.status}
    await emit(conn, actor, ORDER_UPDATED, "Order", after.id, payload)
    return after


async def add_order_item(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    order = await locked_order(conn, values.pop("order_id", None), values.pop("version", None), "order_id")
    editable(order)
    await add_items(conn, actor, order, [values])
    return await _changed(conn, actor, order)


async def update_order_item(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    problems = Problems()
    _check_item(problems, "", values, creating=False)
    problems.raise_if_any()
    order, item = await _order_of_item(conn, values)
    changes: dict[str, Any] = {k: values[k] for k in ("quantity", "notes", "specifications") if k in values}
    if "size_id" in values:
        snapshot = await snapshot_of(conn, item.product_id, values["size_id"], "")
        snapshot.pop("_manufacturer_id")
        changes |= snapshot
    if changes:
        changes["updated_at"] = sa.func.now()
        after = (
            await conn.execute(
                sa.update(_items).where(_items.c.id == item.id).values(changes).returning(*readable(_items))
            )
        ).one()
        await write_audit(conn, actor, "orderitem.update", "OrderItem", item.id, item, after)
    return await _changed(conn, actor, order)


async def remove_order_item(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    order, item = await _order_of_item(conn, values)
    await conn.execute(sa.delete(_items).where(_items.c.id == item.id))
    await write_audit(conn, actor, "orderitem.delete", "OrderItem", item.id, item, None)
    return await _changed(conn, actor, order)


async def reprice(conn: AsyncConnection, actor: Actor, order: Any) -> None:
    """Take each item's name, code and price from the catalog as it is now: submitting is
    the moment of ordering. A product gone from the catalog keeps what it had (the
    checks then say so)."""
    p, z = catalog.products.c, catalog.product_sizes.c
    offered = (
        sa.select(*readable(_items), p.name.label("current_name"), p.code.label("current_code"))
        .add_columns(p.code_type.label("current_code_type"), p.national_asp, p.price_per_cm2, z.area_cm2)
        .join_from(_items, catalog.products, p.id == _items.c.product_id)
        .outerjoin(catalog.product_sizes, z.id == _items.c.size_id)
        .where(_items.c.order_id == order.id, p.deactivated_at.is_(None), p.is_active.is_(True))
    )
    for item in (await conn.execute(offered)).all():
        now = {
            "product_name": item.current_name,
            "billing_code": item.current_code,
            "code_type": item.current_code_type,
            "unit_price": unit_price(item, item if item.size_id is not None else None),
        }
        if any(getattr(item, k) != v for k, v in now.items()):
            update = (
                sa.update(_items).where(_items.c.id == item.id).values({**now, "updated_at": sa.func.now()})
            )
            after = (await conn.execute(update.returning(*readable(_items)))).one()
            await write_audit(conn, actor, "orderitem.reprice", "OrderItem", item.id, item, after)
