"""The domain events the orders module emits (see app/events.py)."""

from __future__ import annotations

from app.events import EventType

_ORDER = {"facility_id": "id", "status": "code"}
ORDER_CREATED = EventType("order.created", "A draft order was started", _ORDER)
ORDER_UPDATED = EventType("order.updated", "A draft's details or items changed", _ORDER)
ORDER_SUBMITTED = EventType(
    "order.submitted", "An order was submitted for its checks", {**_ORDER, "round": "count"}
)
ORDER_STATUS_CHANGED = EventType(
    "order.status_changed",
    "An order moved from one status to another",
    {"facility_id": "id", "from_status": "code", "to_status": "code", "version": "count"},
)
SHIPMENT_RECORDED = EventType(
    "shipment.recorded",
    "A shipment of an order was recorded or delivered",
    {"order_id": "id", "delivered": "flag"},
)
SALES_REP_CHANGED = EventType("sales_rep.changed", "A sales rep was added, changed or deactivated")

EVENTS = (
    ORDER_CREATED,
    ORDER_UPDATED,
    ORDER_SUBMITTED,
    ORDER_STATUS_CHANGED,
    SHIPMENT_RECORDED,
    SALES_REP_CHANGED,
)
