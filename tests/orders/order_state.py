"""What the orders refusal tests share: the tenant's orders-related state (row counts, order
versions, stock) to prove a refused mutation changed nothing, and orders brought into each
status through the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.db import tenant_transaction
from modules.products import models as p
from schema.relay import from_global_id, to_global_id
from tests.orders.orders_ops import (
    CREATE,
    MARK_DELIVERED,
    RECORD_SHIPMENT,
    draft_input,
    make_product,
    ok,
    step,
)

TABLES = (
    "orders",
    "order_items",
    "order_status_history",
    "order_checks",
    "shipments",
    "sales_reps",
    "domain_events",
    "stock_movements",
)
# Filtered by tenant explicitly: the owner may be a superuser, whom row-level security ignores.
# Signing in (a test's first request as a role) writes an audit row of its own: not counted.
_STATE = sa.text(
    "SELECT "
    + ", ".join(f"(SELECT count(*) FROM {t} WHERE tenant_id = :t) AS {t}" for t in TABLES)
    + ", (SELECT count(*) FROM audit_log WHERE tenant_id = :t AND action NOT LIKE 'user.login%') AS audit_log"
    + ", (SELECT coalesce(sum(version), 0) FROM orders WHERE tenant_id = :t) AS versions"
    + ", (SELECT string_agg(status, ',' ORDER BY id) FROM orders WHERE tenant_id = :t) AS statuses"
    + ", (SELECT coalesce(sum(on_hand), 0) FROM inventory_levels WHERE tenant_id = :t) AS on_hand"
    + ", (SELECT coalesce(sum(allocated), 0) FROM inventory_levels WHERE tenant_id = :t) AS allocated"
)


async def state(owner_engine: Any, tenant: Any) -> dict[str, Any]:
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        return dict((await conn.execute(_STATE, {"t": tenant.id})).one()._mapping)


@asynccontextmanager
async def unchanged(owner_engine: Any, *tenants: Any) -> AsyncIterator[None]:
    """The block changes none of the tenants' orders, items, history, shipments, sales
    reps, audit rows, events or stock."""
    before = [await state(owner_engine, t) for t in tenants]
    yield
    after = [await state(owner_engine, t) for t in tenants]
    changed = [{k: (b[k], a[k]) for k in b if a[k] != b[k]} for b, a in zip(before, after, strict=True)]
    assert not any(changed), changed


async def level_of(owner_engine: Any, tenant: Any, product: str) -> tuple[int, int]:
    """(on hand, allocated) of a product's one level."""
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        row = (
            await conn.execute(
                sa.text("SELECT on_hand, allocated FROM inventory_levels WHERE product_id = :p"),
                {"p": from_global_id(product)[1]},
            )
        ).one()
    return row.on_hand, row.allocated


async def product_of(owner_engine: Any, tenant: Any, order: dict[str, Any]) -> str:
    """The product of an order's first item."""
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        pk = await conn.scalar(
            sa.text("SELECT product_id FROM order_items WHERE id = :id"),
            {"id": from_global_id(order["items"]["nodes"][0]["id"])[1]},
        )
    return to_global_id("Product", pk)


async def level_id(owner_engine: Any, tenant: Any, product: str) -> str:
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        pk = await conn.scalar(
            sa.text("SELECT id FROM inventory_levels WHERE product_id = :p"),
            {"p": from_global_id(product)[1]},
        )
    return to_global_id("InventoryLevel", pk)


def tomorrow() -> str:
    return (dt.date.today() + dt.timedelta(days=1)).isoformat()


async def ship(
    tenant: Any, order: dict[str, Any], carrier: str = "UPS", role: str = "owner"
) -> dict[str, Any]:
    values = {"orderId": order["id"], "version": order["version"], "carrier": carrier}
    return await ok(tenant, RECORD_SHIPMENT, "recordShipment", values, role)


async def deliver(tenant: Any, order: dict[str, Any], **more: Any) -> dict[str, Any]:
    values = {"id": order["id"], "version": order["version"], **more}
    return await ok(tenant, MARK_DELIVERED, "markDelivered", values)


FORWARD = ("approved", "submitted_to_manufacturer", "confirmed", "shipped", "delivered")
STATUSES = (
    "draft",
    "needs_attention",
    "pending_admin_review",
    *FORWARD,
    "rejected",
    "cancelled",
)


async def reach(
    owner_engine: Any, tenant: Any, status: str, quantity: int = 2, **product: Any
) -> dict[str, Any]:
    """A new order brought to `status` through the API, as the owner."""
    made = await make_product(owner_engine, tenant, **product)
    more = {"requestedDeliveryDate": tomorrow()} if status == "needs_attention" else {}
    order = await ok(tenant, CREATE, "createOrder", draft_input(tenant, made, quantity, **more))
    if status == "cancelled":
        order = await step(tenant, "cancelOrder", order, reason="No longer needed")
    if status in ("draft", "cancelled"):
        return order
    order = await step(tenant, "submitOrder", order)
    if status == "needs_attention":
        assert order["status"] == "NEEDS_ATTENTION", order
        return order
    assert order["status"] == "PENDING_ADMIN_REVIEW", order
    if status == "rejected":
        return await step(tenant, "rejectOrder", order, reason="Not covered")
    moves = [
        lambda o: step(tenant, "approveOrder", o),
        lambda o: step(tenant, "markSubmittedToManufacturer", o),
        lambda o: step(tenant, "confirmOrder", o),
        lambda o: ship(tenant, o),
        lambda o: deliver(tenant, o),
    ]
    for target, move in zip(FORWARD, moves, strict=True):
        if status == "pending_admin_review":
            break
        order = await move(order)
        assert order["status"] == target.upper(), order
        if status == target:
            break
    return order


async def make_size(owner_engine: Any, tenant: Any, product: str, label: str = "2x2 cm") -> str:
    """A size of `product` (4 cm²)."""
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        pk = await conn.scalar(
            sa.insert(p.product_sizes)
            .values(
                tenant_id=tenant.id,
                product_id=from_global_id(product)[1],
                label=label,
                width_cm=Decimal(2),
                length_cm=Decimal(2),
                area_cm2=Decimal(4),
            )
            .returning(p.product_sizes.c.id)
        )
    return to_global_id("ProductSize", pk)


async def deactivate_product(owner_engine: Any, tenant: Any, product: str) -> None:
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        await conn.execute(
            sa.update(p.products)
            .where(p.products.c.id == from_global_id(product)[1])
            .values(deactivated_at=sa.func.now())
        )
