"""An order's whole life through GraphQL: draft, submission and its checks, review,
manufacturer, shipments, delivery; with its history, audit rows, events and stock."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from app.db import tenant_transaction
from modules.products import models as p
from schema.relay import from_global_id
from tests.orders.order_state import make_size
from tests.orders.orders_ops import (
    CREATE,
    MARK_DELIVERED,
    ORDER,
    RECORD_SHIPMENT,
    draft,
    draft_input,
    make_product,
    ok,
    step,
)

HISTORY = """query($id: ID!) { order(id: $id) { statusHistory(first: 50) { nodes { fromStatus toStatus reason } }
  shipments(first: 10) { nodes { carrier trackingNumber deliveredAt } }
  checks(first: 50) { nodes { round checkKey outcome reasons } } } }"""


async def _level(owner_engine, tenant, order) -> tuple[int, int]:
    item = order["items"]["nodes"][0]
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        row = (
            await conn.execute(
                sa.text(
                    "SELECT l.on_hand, l.allocated FROM inventory_levels l "
                    "JOIN order_items i ON i.product_id = l.product_id WHERE i.id = :id"
                ),
                {"id": from_global_id(item["id"])[1]},
            )
        ).one()
    return row.on_hand, row.allocated


async def test_an_order_from_draft_to_delivery(owner_engine, tenant_a):
    order = await draft(owner_engine, tenant_a, quantity=3)
    assert order["status"] == "DRAFT" and order["version"] == 1
    assert order["orderNumber"].startswith("ORD-")
    assert order["totalAmount"] == "600.00" and order["itemCount"] == 1
    assert order["items"]["nodes"][0]["lineTotal"] == "600.00"

    order = await step(tenant_a, "submitOrder", order, reason="Needed before Friday's visit")
    assert order["status"] == "PENDING_ADMIN_REVIEW", order
    assert order["queueAction"] == "REVIEW"
    order = await step(tenant_a, "approveOrder", order)
    assert order["status"] == "APPROVED"
    assert await _level(owner_engine, tenant_a, order) == (10, 3)
    order = await step(tenant_a, "markSubmittedToManufacturer", order)
    assert order["queueAction"] == "TRACK"
    order = await step(tenant_a, "confirmOrder", order)
    shipped = {
        "orderId": order["id"],
        "version": order["version"],
        "carrier": "UPS",
        "trackingNumber": "1Z999",
    }
    order = await ok(tenant_a, RECORD_SHIPMENT, "recordShipment", shipped)
    assert order["status"] == "SHIPPED"
    assert await _level(owner_engine, tenant_a, order) == (7, 0)
    order = await ok(
        tenant_a, MARK_DELIVERED, "markDelivered", {"id": order["id"], "version": order["version"]}
    )
    assert order["status"] == "DELIVERED"

    trail = (await tenant_a.query(HISTORY, {"id": order["id"]}))["order"]
    moves = [(n["fromStatus"], n["toStatus"]) for n in trail["statusHistory"]["nodes"]]
    assert trail["statusHistory"]["nodes"][1]["reason"] == "Needed before Friday's visit"
    assert moves == [
        (None, "DRAFT"),
        ("DRAFT", "SUBMITTED"),
        ("SUBMITTED", "PENDING_ADMIN_REVIEW"),
        ("PENDING_ADMIN_REVIEW", "APPROVED"),
        ("APPROVED", "SUBMITTED_TO_MANUFACTURER"),
        ("SUBMITTED_TO_MANUFACTURER", "CONFIRMED"),
        ("CONFIRMED", "SHIPPED"),
        ("SHIPPED", "DELIVERED"),
    ]
    assert trail["shipments"]["nodes"][0]["deliveredAt"] is not None
    assert {c["checkKey"] for c in trail["checks"]["nodes"]} >= {
        "orders.items_orderable",
        "orders.stock_available",
    }
    async with tenant_transaction(owner_engine, str(tenant_a.id)) as conn:
        events = (
            (
                await conn.execute(
                    sa.text("SELECT type FROM domain_events WHERE entity_id = :id ORDER BY sequence"),
                    {"id": from_global_id(order["id"])[1]},
                )
            )
            .scalars()
            .all()
        )
        audits = await conn.scalar(
            sa.text("SELECT count(*) FROM audit_log WHERE entity_type = 'Order' AND entity_id = :id"),
            {"id": from_global_id(order["id"])[1]},
        )
    assert events.count("order.status_changed") == 8
    assert "order.submitted" in events and "order.created" in events
    assert audits >= 8


async def _price(owner_engine, tenant, product: str, **prices) -> None:
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        await conn.execute(
            sa.update(p.products).where(p.products.c.id == from_global_id(product)[1]).values(**prices)
        )


async def test_items_keep_the_catalog_as_it_was_when_ordered(owner_engine, tenant_a):
    """A draft's items follow the catalog until submission, the moment of ordering; after
    it they keep the name, code and price they had, whatever the catalog does."""
    unit = await make_product(owner_engine, tenant_a, price="200.00")
    sheet = await make_product(owner_engine, tenant_a, price="90.00")
    await _price(owner_engine, tenant_a, sheet, price_per_cm2=Decimal("12.5000"))
    size = await make_size(owner_engine, tenant_a, sheet)  # 4 cm²
    values = draft_input(tenant_a, unit, 2)
    values["items"].append({"productId": sheet, "sizeId": size, "quantity": 1})
    order = await ok(tenant_a, CREATE, "createOrder", values)
    prices = [(i["unitPrice"], i["lineTotal"]) for i in order["items"]["nodes"]]
    assert prices == [("200.00", "400.00"), ("50.00", "50.00")] and order["totalAmount"] == "450.00"

    await _price(owner_engine, tenant_a, unit, national_asp=Decimal("250.00"), name="Renamed dressing")
    await _price(owner_engine, tenant_a, sheet, price_per_cm2=Decimal("15.0000"))
    order = await step(tenant_a, "submitOrder", order)
    first, second = order["items"]["nodes"]
    assert (first["unitPrice"], first["productName"], second["unitPrice"]) == (
        "250.00",
        "Renamed dressing",
        "60.00",
    )
    assert order["totalAmount"] == "560.00"

    await _price(owner_engine, tenant_a, unit, national_asp=Decimal("999.00"))
    later = (await tenant_a.query(ORDER, {"id": order["id"]}))["order"]
    assert later["items"]["nodes"][0]["unitPrice"] == "250.00" and later["totalAmount"] == "560.00"
