"""Lazy references to the orders types, for annotations across files (no import cycles)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

if TYPE_CHECKING:
    from modules.orders.types.order import Order, OrderCheck, OrderItem, OrderStatusChange, Shipment
    from modules.orders.types.sales_rep import SalesRep

_TYPES = "modules.orders.types"

OrderRef = Annotated["Order", strawberry.lazy(f"{_TYPES}.order")]
OrderItemRef = Annotated["OrderItem", strawberry.lazy(f"{_TYPES}.order")]
OrderStatusChangeRef = Annotated["OrderStatusChange", strawberry.lazy(f"{_TYPES}.order")]
ShipmentRef = Annotated["Shipment", strawberry.lazy(f"{_TYPES}.order")]
OrderCheckRef = Annotated["OrderCheck", strawberry.lazy(f"{_TYPES}.order")]
SalesRepRef = Annotated["SalesRep", strawberry.lazy(f"{_TYPES}.sales_rep")]
