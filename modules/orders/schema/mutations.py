"""Orders mutations, declared: each names its input, its permission, the service step it
runs and the payload it answers (the order, or the sales rep). The workflow and who may
move it are in service/workflow.py; the README's table is read from there."""

from __future__ import annotations

from typing import Any

import strawberry

from modules.orders.errors import mutate
from modules.orders.schema.inputs import (
    AddOrderItemInput,
    CreateOrderInput,
    DeactivateSalesRepInput,
    MarkDeliveredInput,
    OrderStepInput,
    RecordShipmentInput,
    RemoveOrderItemInput,
    SalesRepInput,
    UpdateOrderInput,
    UpdateOrderItemInput,
    UpdateSalesRepInput,
)
from modules.orders.service import fulfilment, items, orders, review, sales_reps, submission
from modules.orders.service.workflow import STEPS
from modules.orders.types.order import Order
from modules.orders.types.sales_rep import SalesRep

OrderPayload = mutate.payload(Order)
SalesRepPayload = mutate.payload(SalesRep)

PARTIES = {
    "facility_id": "Facility",
    "organization_id": "Organization",
    "provider_id": "Provider",
    "patient_id": "Patient",
    "sales_rep_id": "SalesRep",
    "items.product_id": "Product",
    "items.size_id": "ProductSize",
}
STEP = {"id": "Order"}
ITEM = {"id": "OrderItem"}


def step(mutation: str, work: Any, input: type = OrderStepInput, ids: dict[str, str] = STEP) -> Any:
    """A workflow step: its permission is the one the workflow gives it."""
    permission = STEPS[mutation].permission
    assert permission is not None, f"{mutation} is the system's to run"
    sources = ", ".join(STEPS[mutation].sources)
    return mutate.field(
        work,
        input=input,
        payload=OrderPayload,
        requires=permission,
        ids=ids,
        description=f"From {sources} to {STEPS[mutation].target}. Needs {permission}.",
    )


@strawberry.type
class OrdersMutation:
    create_order = mutate.field(
        lambda conn, actor, values, ctx: orders.create_order(conn, actor, values, ctx.cipher),
        input=CreateOrderInput,
        payload=OrderPayload,
        requires="orders.create",
        ids=PARTIES,
        with_context=True,
        description="Start a draft order. Needs orders.create.",
    )
    update_order = mutate.field(
        lambda conn, actor, values, ctx: orders.update_order(conn, actor, values, ctx.cipher),
        input=UpdateOrderInput,
        payload=OrderPayload,
        requires="orders.create",
        ids={**PARTIES, "id": "Order"},
        with_context=True,
        description="Change a draft or an order needing attention. Needs orders.create.",
    )
    add_order_item = mutate.field(
        items.add_order_item,
        input=AddOrderItemInput,
        payload=OrderPayload,
        requires="orders.create",
        ids={"order_id": "Order", "product_id": "Product", "size_id": "ProductSize"},
        description="Add an item to a draft or an order needing attention. Needs orders.create.",
    )
    update_order_item = mutate.field(
        items.update_order_item,
        input=UpdateOrderItemInput,
        payload=OrderPayload,
        requires="orders.create",
        ids={**ITEM, "size_id": "ProductSize"},
        description="Change an item's quantity, size or notes. Needs orders.create.",
    )
    remove_order_item = mutate.field(
        items.remove_order_item,
        input=RemoveOrderItemInput,
        payload=OrderPayload,
        requires="orders.create",
        ids=ITEM,
        description="Take an item off a draft or an order needing attention. Needs orders.create.",
    )
    submit_order = step("submitOrder", submission.submit_order)
    approve_order = step("approveOrder", review.approve_order)
    reject_order = step("rejectOrder", review.reject_order)
    cancel_order = step("cancelOrder", review.cancel_order)
    mark_submitted_to_manufacturer = step(
        "markSubmittedToManufacturer", fulfilment.mark_submitted_to_manufacturer
    )
    confirm_order = step("confirmOrder", fulfilment.confirm_order)
    record_shipment = step(
        "recordShipment", fulfilment.record_shipment, RecordShipmentInput, {"order_id": "Order"}
    )
    mark_delivered = step(
        "markDelivered",
        fulfilment.mark_delivered,
        MarkDeliveredInput,
        {"id": "Order", "shipment_id": "Shipment"},
    )
    create_sales_rep = mutate.field(
        sales_reps.create_sales_rep,
        input=SalesRepInput,
        payload=SalesRepPayload,
        requires="orders.manage",
        ids={"parent_rep_id": "SalesRep", "user_id": "User"},
        unique=sales_reps.SALES_REP_UNIQUE,
    )
    update_sales_rep = mutate.field(
        sales_reps.update_sales_rep,
        input=UpdateSalesRepInput,
        payload=SalesRepPayload,
        requires="orders.manage",
        ids={"id": "SalesRep", "parent_rep_id": "SalesRep", "user_id": "User"},
        unique=sales_reps.SALES_REP_UNIQUE,
    )
    deactivate_sales_rep = mutate.field(
        sales_reps.deactivate_sales_rep,
        input=DeactivateSalesRepInput,
        payload=SalesRepPayload,
        requires="orders.manage",
        ids={"id": "SalesRep"},
    )
