"""What the orders tests share: the demo tenant's parties by ID, a priced and stocked
product made for a test, and the operations, each asking for the fields tests check."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.db import tenant_transaction
from medgraph.demo import _id
from medgraph.demo_catalog import catalog_id
from modules.products import models as p
from schema.relay import from_global_id, to_global_id

ERRORS = "errors { field code message }"
ORDER_FIELDS = """id orderNumber version status totalAmount itemCount attentionReasons statusReason
  queueAction submittedAt manufacturer { name }
  items(first: 50) { nodes { id quantity unitPrice lineTotal productName billingCode sizeLabel } }"""
PAYLOAD = f"order {{ {ORDER_FIELDS} }} {ERRORS}"


def mutation(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {PAYLOAD} }} }}"


CREATE = mutation("createOrder", "CreateOrderInput")
UPDATE = mutation("updateOrder", "UpdateOrderInput")
ADD_ITEM = mutation("addOrderItem", "AddOrderItemInput")
UPDATE_ITEM = mutation("updateOrderItem", "UpdateOrderItemInput")
REMOVE_ITEM = mutation("removeOrderItem", "RemoveOrderItemInput")
RECORD_SHIPMENT = mutation("recordShipment", "RecordShipmentInput")
MARK_DELIVERED = mutation("markDelivered", "MarkDeliveredInput")
STEPS = (
    "submitOrder",
    "approveOrder",
    "rejectOrder",
    "cancelOrder",
    "markSubmittedToManufacturer",
    "confirmOrder",
)
STEP = {name: mutation(name, "OrderStepInput") for name in STEPS}
ORDER = f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"


def facility(tenant: Any, i: int = 0) -> str:
    """The test tenants' facilities (tests/support.make_tenant): 0 One Main, 1 One East,
    2 Two Main (another organization), 3 Three Main, 4 Three West."""
    names = [("Org One", "One Main"), ("Org One", "One East"), ("Org Two", "Two Main"),
             ("Org Three", "Three Main"), ("Org Three", "Three West")]  # fmt: skip
    return to_global_id("Facility", _id(tenant.slug, *names[i]))


def organization(tenant: Any, name: str = "Org One") -> str:
    return to_global_id("Organization", _id(tenant.slug, name))


def provider(tenant: Any, i: int = 0) -> str:
    """Provider i is assigned to facility i % 5."""
    return to_global_id("Provider", _id(tenant.slug, "provider", str(i)))


def patient(tenant: Any, i: int = 0) -> str:
    """Patient i is registered at facility i % 5."""
    return to_global_id("Patient", _id(tenant.slug, "patient", str(i)))


def maker(tenant: Any, key: str = "fernbrook") -> uuid.UUID:
    """Demo manufacturers: fernbrook (minimum 150.00, lead time 5 days), granite (250.00, 7)."""
    return catalog_id(tenant.slug, key)


async def make_product(
    owner_engine: Any,
    tenant: Any,
    *,
    price: str | None = "200.00",
    stock: int | None = 10,
    maker_key: str = "fernbrook",
    active: bool = True,
) -> str:
    """A product of its own for one test (priced at `price`, or unpriced), with a level at
    the demo warehouse holding `stock` (None: stocked nowhere, so drop-shipped)."""
    sku = f"T-{uuid.uuid4().hex[:10]}"
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        product_id = await conn.scalar(
            sa.insert(p.products)
            .values(
                tenant_id=tenant.id,
                name=f"Test dressing {sku}",
                sku=sku,
                code="A6212",
                code_type="hcpcs",
                manufacturer_id=maker(tenant, maker_key),
                national_asp=Decimal(price) if price is not None else None,
                is_active=active,
            )
            .returning(p.products.c.id)
        )
        if stock is not None:
            await conn.execute(
                sa.insert(p.inventory_levels).values(
                    tenant_id=tenant.id,
                    product_id=product_id,
                    location_id=catalog_id(tenant.slug, "location", "warehouse"),
                    on_hand=stock,
                )
            )
    return to_global_id("Product", product_id)


def delivery_date(days: int = 14) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def draft_input(tenant: Any, product: str | None = None, quantity: int = 1, **more: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "facilityId": facility(tenant),
        "providerId": provider(tenant),
        "patientId": patient(tenant),
        "requestedDeliveryDate": delivery_date(),
        "serviceDate": delivery_date(15),
    }
    if product is not None:
        values["items"] = [{"productId": product, "quantity": quantity}]
    return values | more


async def run(
    tenant: Any, operation: str, name: str, values: dict[str, Any], role: str = "owner"
) -> dict[str, Any]:
    """The payload of a mutation."""
    return (await tenant.query(operation, {"input": values}, role=role))[name]


async def ok(
    tenant: Any, operation: str, name: str, values: dict[str, Any], role: str = "owner"
) -> dict[str, Any]:
    payload = await run(tenant, operation, name, values, role)
    assert payload["errors"] == [], payload
    return payload["order"]  # type: ignore[no-any-return]


async def refused(tenant: Any, operation: str, name: str, values: dict[str, Any], role: str = "owner") -> set:
    payload = await run(tenant, operation, name, values, role)
    assert payload["order"] is None, payload
    return {(e["field"], e["code"]) for e in payload["errors"]}


async def step(
    tenant: Any, name: str, order: dict[str, Any], role: str = "owner", **more: Any
) -> dict[str, Any]:
    moved = await ok(tenant, STEP[name], name, {"id": order["id"], "version": order["version"], **more}, role)
    return await checked(tenant, moved) if name == "submitOrder" else moved


WATCH: dict[str, Any] = {}  # "engine": the owner's, set by tests/orders/conftest.py


async def checked(tenant: Any, order: dict[str, Any], seconds: float = 20.0) -> dict[str, Any]:
    """The order once the worker has run its submission checks (the background intake:
    tests/orders/conftest.py runs the worker), or as it is after `seconds`.

    It watches the row itself, not through GraphQL: the tests answer every query twice,
    compiled and resolved, and a commit of the worker's between the two would tell them
    apart."""
    assert order["status"] == "SUBMITTED", order
    pk = from_global_id(order["id"])[1]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        async with tenant_transaction(WATCH["engine"], str(tenant.id)) as conn:
            status = await conn.scalar(sa.text("SELECT status FROM orders WHERE id = :id"), {"id": pk})
        if status != "submitted":
            break
        await asyncio.sleep(0.05)
    found: dict[str, Any] = (await tenant.query(ORDER, {"id": order["id"]}))["order"]
    return found


async def draft(owner_engine: Any, tenant: Any, quantity: int = 2, **product: Any) -> dict[str, Any]:
    made = await make_product(owner_engine, tenant, **product)
    return await ok(tenant, CREATE, "createOrder", draft_input(tenant, made, quantity))
