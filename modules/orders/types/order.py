"""Orders, their items, their status history, shipments and submission checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from modules.orders import models as m
from modules.orders.types.enums import (
    CheckOutcome,
    NetworkStatus,
    OrderStatus,
    OrderType,
    PlanType,
    QueueAction,
    RequestType,
    ShippingSpeed,
    SubscriberRelationship,
)
from modules.orders.types.listings import CHECKS, HISTORY, ITEMS, ORDERS, SHIPMENTS
from modules.orders.types.refs import (
    OrderCheckRef,
    OrderItemRef,
    OrderRef,
    OrderStatusChangeRef,
    SalesRepRef,
    ShipmentRef,
)
from modules.products import ManufacturerRef, ProductRef, ProductSizeRef
from modules.tenancy import FacilityRef, OrganizationRef, PatientRef, ProviderRef, UserRef, open_phi
from schema.entities import entity, to_one
from schema.listing import connection
from schema.relay import Connection, Node


def _subscriber(field: str) -> Any:
    """Open one sealed subscriber field: PHI of the order's patient's coverage, so it needs
    patients.read_phi and is logged against that patient (nothing sealed, nothing logged)."""

    def resolve(root: Order, info: Info) -> str | None:
        row = root.row
        # Only an order naming its patient keeps these (a read is logged against them).
        sealed = getattr(row, f"{field}_enc") if row.patient_id is not None else None
        patient_id = row.patient_id if sealed is not None else None
        return open_phi(info, patient_id, f"order.{field}", sealed, row_id=str(row.id), column=field)

    return resolve


@entity(m.orders, node="orders.read", listing=ORDERS)
@strawberry.type(
    description="A provider's request for products for a patient, from draft to delivery. "
    "The patient's name is read through `patient` (PHI rules apply)."
)
class Order(Node):
    order_number: str = strawberry.field(description="Human-readable, unique in the tenant, never reused.")
    version: int = strawberry.field(description="Pass it back to change the order: a stale one is refused.")
    status: OrderStatus
    type: OrderType
    request_type: RequestType
    service_date: dt.date | None
    requested_delivery_date: dt.date | None
    actual_delivery_date: dt.date | None
    shipping_speed: ShippingSpeed | None
    delivery_instructions: str | None
    wound_length_cm: Decimal | None
    wound_width_cm: Decimal | None
    wound_depth_cm: Decimal | None
    wound_area_cm2: Decimal | None = strawberry.field(description="Length × width, computed.")
    previous_treatments: JSON
    treatment_duration_weeks: int | None
    place_of_service: str | None = strawberry.field(description="The CMS place-of-service code, e.g. 11.")
    snf_status: bool = strawberry.field(description="In a skilled nursing facility.")
    snf_days: int | None
    hospice_status: bool
    part_a_status: bool
    global_period_status: bool = strawberry.field(description="Within a surgery's global period.")
    global_period_cpt: str | None
    global_period_surgery_date: dt.date | None
    payer_name: str | None
    payer_identifier: str | None
    payer_phone: str | None
    plan_type: PlanType | None
    network_status: NetworkStatus | None
    subscriber_relationship: SubscriberRelationship | None
    provider_ptan: str | None
    facility_ptan: str | None
    mac_jurisdiction: str | None
    notes: str | None
    internal_notes: str | None
    metadata: JSON
    total_amount: Decimal = strawberry.field(description="The sum of the priced items' line totals.")
    item_count: int
    expected_reimbursement: Decimal | None = strawberry.field(description="Set by the rules, later.")
    attention_reasons: list[str] = strawberry.field(
        description="Why the last submission's checks sent it to needs_attention (empty otherwise)."
    )
    status_reason: str | None = strawberry.field(description="The reason given with the last change.")
    queue_action: QueueAction = strawberry.field(description="What the review queue asks of an admin.")
    submitted_at: dt.datetime | None
    checked_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    manufacturer_submitted_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    shipped_at: dt.datetime | None
    delivered_at: dt.datetime | None
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    subscriber_name: str | None = strawberry.field(
        resolver=_subscriber("subscriber_name"), description="PHI: needs patients.read_phi; logged."
    )
    subscriber_date_of_birth: str | None = strawberry.field(
        resolver=_subscriber("subscriber_dob"), description="PHI (ISO date): needs patients.read_phi; logged."
    )
    organization: OrganizationRef | None = to_one(
        "organization_id", requires="tenancy.read", description="Needs tenancy.read."
    )
    facility: FacilityRef | None = to_one(
        "facility_id", requires="tenancy.read", description="Needs tenancy.read."
    )
    provider: ProviderRef | None = to_one(
        "provider_id", requires="tenancy.read", description="Needs tenancy.read."
    )
    patient: PatientRef | None = to_one(
        "patient_id", requires="patients.read", description="Needs patients.read; PHI fields need more."
    )
    sales_rep: SalesRepRef | None = to_one("sales_rep_id", description="The acquiring sales rep.")
    manufacturer: ManufacturerRef | None = to_one(
        "manufacturer_id", requires="products.read", description="Needs products.read."
    )
    created_by: UserRef | None = to_one(
        "created_by_user_id", requires="users.read", description="Needs users.read."
    )
    reviewed_by: UserRef | None = to_one(
        "reviewed_by_user_id", requires="users.read", description="Needs users.read."
    )
    items: Connection[OrderItemRef] = connection(ITEMS, parent="order_id", backward=False)
    status_history: Connection[OrderStatusChangeRef] = connection(HISTORY, parent="order_id", backward=False)
    shipments: Connection[ShipmentRef] = connection(SHIPMENTS, parent="order_id", backward=False)
    checks: Connection[OrderCheckRef] = connection(
        CHECKS, parent="order_id", backward=False, description="Submission checks, every round."
    )


@entity(m.order_items, node="orders.read", listing=ITEMS)
@strawberry.type(
    description="A line of an order: its product's name, code and price as they were when ordered."
)
class OrderItem(Node):
    quantity: int
    unit_price: Decimal | None = strawberry.field(description="Null while the product has no price.")
    line_total: Decimal | None = strawberry.field(description="Quantity × unit price, computed.")
    product_name: str
    billing_code: str | None
    code_type: str | None
    size_label: str | None
    notes: str | None
    specifications: JSON
    position: int
    created_at: dt.datetime
    updated_at: dt.datetime

    order: OrderRef | None = to_one("order_id")
    product: ProductRef | None = to_one(
        "product_id", requires="products.read", description="Needs products.read."
    )
    size: ProductSizeRef | None = to_one(
        "size_id", requires="products.read", description="Needs products.read."
    )


@entity(m.order_status_history, node="orders.read", listing=HISTORY)
@strawberry.type(description="One move of an order from one status to another.")
class OrderStatusChange(Node):
    from_status: OrderStatus | None = strawberry.field(description="Null for the order's creation.")
    to_status: OrderStatus
    reason: str | None
    created_at: dt.datetime

    order: OrderRef | None = to_one("order_id")
    actor: UserRef | None = to_one("actor_user_id", requires="users.read", description="Needs users.read.")


@entity(m.shipments, node="orders.read", listing=SHIPMENTS)
@strawberry.type(description="A package on its way: one order may ship in several.")
class Shipment(Node):
    carrier: str
    tracking_number: str | None
    shipped_at: dt.datetime
    delivered_at: dt.datetime | None
    document_urls: list[str]
    notes: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    order: OrderRef | None = to_one("order_id")


@entity(m.order_checks, node="orders.read", listing=CHECKS)
@strawberry.type(description="What one submission check concluded, and why.")
class OrderCheck(Node):
    round: int = strawberry.field(description="Which submission of the order (1 for the first).")
    check_key: str = strawberry.field(description="The check, e.g. orders.stock_available.")
    outcome: CheckOutcome
    reasons: list[str]
    created_at: dt.datetime

    order: OrderRef | None = to_one("order_id")
