"""Inputs of the orders mutations. Every change of an order names the `version` the caller
last read; a stale one is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from modules.orders.types.enums import (
    NetworkStatus,
    OrderType,
    PlanType,
    RequestType,
    ShippingSpeed,
    SubscriberRelationship,
)

UNSET = strawberry.UNSET


@strawberry.input(
    description="A product and how many of it; name, code and price are taken from the catalog."
)
class OrderItemInput:
    product_id: strawberry.ID
    quantity: int = strawberry.field(description="A positive whole number.")
    size_id: strawberry.ID | None = strawberry.field(default=None, description="One of the product's sizes.")
    notes: str | None = None
    specifications: JSON | None = strawberry.field(default=None, description="A JSON object.")


@strawberry.input
class OrderDetailsInput:
    """The details a draft carries; all optional, left out means unchanged."""

    type: OrderType | None = UNSET
    request_type: RequestType | None = UNSET
    provider_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="Assigned to the facility and allowed to order there."
    )
    patient_id: strawberry.ID | None = UNSET
    sales_rep_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="The acquiring sales rep."
    )
    service_date: dt.date | None = UNSET
    requested_delivery_date: dt.date | None = UNSET
    shipping_speed: ShippingSpeed | None = UNSET
    delivery_instructions: str | None = UNSET
    wound_length_cm: Decimal | None = UNSET
    wound_width_cm: Decimal | None = UNSET
    wound_depth_cm: Decimal | None = UNSET
    previous_treatments: JSON | None = strawberry.field(default=UNSET, description="A JSON list.")
    treatment_duration_weeks: int | None = UNSET
    place_of_service: str | None = UNSET
    snf_status: bool | None = UNSET
    snf_days: int | None = UNSET
    hospice_status: bool | None = UNSET
    part_a_status: bool | None = UNSET
    global_period_status: bool | None = UNSET
    global_period_cpt: str | None = UNSET
    global_period_surgery_date: dt.date | None = UNSET
    payer_name: str | None = UNSET
    payer_identifier: str | None = UNSET
    payer_phone: str | None = UNSET
    plan_type: PlanType | None = UNSET
    network_status: NetworkStatus | None = UNSET
    subscriber_relationship: SubscriberRelationship | None = UNSET
    subscriber_name: str | None = strawberry.field(default=UNSET, description="PHI: sealed; needs a patient.")
    subscriber_date_of_birth: dt.date | None = strawberry.field(default=UNSET, description="PHI: sealed.")
    provider_ptan: str | None = UNSET
    facility_ptan: str | None = UNSET
    mac_jurisdiction: str | None = UNSET
    notes: str | None = UNSET
    internal_notes: str | None = UNSET
    metadata: JSON | None = UNSET


@strawberry.input(description="A new draft order at a facility, with its items if they are known.")
class CreateOrderInput(OrderDetailsInput):
    facility_id: strawberry.ID = strawberry.field(description="The ordering facility.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="If given, the facility's organization: anything else is refused."
    )
    items: list[OrderItemInput] | None = UNSET


@strawberry.input(description="Change a draft (or an order needing attention).")
class UpdateOrderInput(OrderDetailsInput):
    id: strawberry.ID
    version: int
    facility_id: strawberry.ID | None = UNSET
    organization_id: strawberry.ID | None = UNSET


@strawberry.input(description="Move an order one step along its workflow.")
class OrderStepInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you last read.")
    reason: str | None = strawberry.field(
        default=None, description="Why: required to reject or cancel, a note otherwise."
    )


@strawberry.input
class AddOrderItemInput:
    order_id: strawberry.ID
    version: int = strawberry.field(description="The order's version you last read.")
    product_id: strawberry.ID
    quantity: int
    size_id: strawberry.ID | None = None
    notes: str | None = None
    specifications: JSON | None = None


@strawberry.input
class UpdateOrderItemInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The order's version you last read.")
    quantity: int | None = UNSET
    size_id: strawberry.ID | None = UNSET
    notes: str | None = UNSET
    specifications: JSON | None = UNSET


@strawberry.input
class RemoveOrderItemInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The order's version you last read.")


@strawberry.input(description="A package left for the facility: the order is shipped.")
class RecordShipmentInput:
    order_id: strawberry.ID
    version: int
    carrier: str
    tracking_number: str | None = None
    shipped_at: dt.datetime | None = strawberry.field(default=None, description="Now, if not given.")
    document_urls: list[str] | None = None
    notes: str | None = None


@strawberry.input(description="A shipment arrived (or, without `shipmentId`, all of them).")
class MarkDeliveredInput:
    id: strawberry.ID
    version: int
    shipment_id: strawberry.ID | None = None
    delivered_at: dt.datetime | None = strawberry.field(default=None, description="Now, if not given.")


@strawberry.input
class SalesRepInput:
    name: str | None = UNSET
    email: str | None = UNSET
    phone: str | None = UNSET
    employee_id: str | None = UNSET
    territory: str | None = UNSET
    commission_rate: Decimal | None = strawberry.field(default=UNSET, description="Percent.")
    parent_share_percent: Decimal | None = strawberry.field(default=UNSET, description="Percent.")
    parent_rep_id: strawberry.ID | None = UNSET
    user_id: strawberry.ID | None = strawberry.field(default=UNSET, description="The rep's own user, if any.")


@strawberry.input
class UpdateSalesRepInput(SalesRepInput):
    id: strawberry.ID


@strawberry.input
class DeactivateSalesRepInput:
    id: strawberry.ID
