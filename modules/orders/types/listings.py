"""How each orders list filters and sorts: the filter inputs, the SQL conditions they mean,
and one `Listing` per list (see schema/listing.py)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import strawberry

from app.context import RequestContext
from modules.orders import models as m
from modules.orders.types.enums import CheckOutcome, OrderSortField, OrderStatus, QueueAction, SalesRepStatus
from schema.filtering import FieldMatch, id_matches
from schema.input_values import instant
from schema.listing import Listing
from schema.ordering import NAMED_COLUMNS, TIMED_COLUMNS, NamedOrder, SortDirection

# The statuses of seed 001's admin_order_queue: what an admin reviews, tracks or watches ship.
QUEUED = ("pending_admin_review", "submitted_to_manufacturer", "shipped")


@strawberry.input
class OrderFilter:
    statuses: list[OrderStatus] | None = None
    order_number: str | None = strawberry.field(default=None, description="The whole number, any case")
    organization_id: strawberry.ID | None = None
    facility_id: strawberry.ID | None = None
    provider_id: strawberry.ID | None = None
    patient_id: strawberry.ID | None = None
    sales_rep_id: strawberry.ID | None = None
    manufacturer_id: strawberry.ID | None = None
    service_date_from: dt.date | None = strawberry.field(default=None, description="On or after")
    service_date_to: dt.date | None = strawberry.field(default=None, description="On or before")
    created_since: dt.datetime | None = None
    created_until: dt.datetime | None = strawberry.field(default=None, description="Before this instant")


@strawberry.input(description="Sort orders; the id breaks ties.")
class OrderOrder:
    field: OrderSortField = OrderSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class QueueFilter:
    actions: list[QueueAction] | None = None
    facility_id: strawberry.ID | None = None


@strawberry.input
class SalesRepFilter:
    search: str | None = strawberry.field(default=None, description="Part of the name, email or territory")
    statuses: list[SalesRepStatus] | None = None
    include_deactivated: bool = False


@strawberry.input
class OrderCheckFilter:
    outcomes: list[CheckOutcome] | None = None
    latest_only: bool = strawberry.field(default=False, description="Only the last submission's checks")


_IDS = {
    "organization_id": "Organization",
    "facility_id": "Facility",
    "provider_id": "Provider",
    "patient_id": "Patient",
    "sales_rep_id": "SalesRep",
    "manufacturer_id": "Manufacturer",
}


def order_where(_: RequestContext, f: OrderFilter | None) -> list[sa.ColumnElement[bool]]:
    if f is None:
        return []
    t = m.orders.c
    where: list[sa.ColumnElement[bool]] = []
    if f.statuses:
        where.append(t.status.in_([s.value for s in f.statuses]))
    if f.order_number:
        where.append(t.order_number == f.order_number.strip().upper())
    for name, type_name in _IDS.items():
        value = getattr(f, name)
        if value is not None:
            where.append(id_matches(t[name], value, type_name))
    if f.service_date_from is not None:
        where.append(t.service_date >= f.service_date_from)
    if f.service_date_to is not None:
        where.append(t.service_date <= f.service_date_to)
    if f.created_since is not None:
        where.append(t.created_at >= instant(f.created_since, "createdSince"))
    if f.created_until is not None:
        where.append(t.created_at < instant(f.created_until, "createdUntil"))
    return where


def queue_where(_: RequestContext, f: QueueFilter | None) -> list[sa.ColumnElement[bool]]:
    t = m.orders.c
    where: list[sa.ColumnElement[bool]] = [t.status.in_(QUEUED)]
    if f is not None and f.actions:
        where.append(t.queue_action.in_([a.value for a in f.actions]))
    if f is not None and f.facility_id is not None:
        where.append(id_matches(t.facility_id, f.facility_id, "Facility"))
    return where


def check_where(_: RequestContext, f: OrderCheckFilter | None) -> list[sa.ColumnElement[bool]]:
    if f is None:
        return []
    t = m.order_checks.c
    where: list[sa.ColumnElement[bool]] = []
    if f.outcomes:
        where.append(t.outcome.in_([o.value for o in f.outcomes]))
    if f.latest_only:
        latest = m.order_checks.alias("latest")
        last_round = sa.select(sa.func.max(latest.c.round)).where(latest.c.order_id == t.order_id)
        where.append(t.round == last_round.scalar_subquery())
    return where


_ORDER_SORT = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    "submitted_at": "queued_at",
    "order_number": "order_number",
    "total_amount": "total_amount",
}
ORDERS = Listing(m.orders, _ORDER_SORT, OrderFilter, order_where, OrderOrder)
ADMIN_QUEUE = Listing(
    m.orders, {"submitted_at": "queued_at"}, QueueFilter, queue_where, fixed_order=("submitted_at", True)
)
ITEMS = Listing(m.order_items, {"position": "position"}, fixed_order=("position", False))
HISTORY = Listing(
    m.order_status_history,
    {"created_at": "created_at", "updated_at": "created_at"},
    fixed_order=("created_at", False),
)
SHIPMENTS = Listing(m.shipments, TIMED_COLUMNS, fixed_order=("created_at", False))
CHECKS = Listing(
    m.order_checks,
    {"position": "position"},
    OrderCheckFilter,
    check_where,
    fixed_order=("position", False),
)
SALES_REPS = Listing(
    m.sales_reps,
    NAMED_COLUMNS,
    SalesRepFilter,
    FieldMatch(search=("name", "email", "territory"), statuses="status"),
    NamedOrder,
)
