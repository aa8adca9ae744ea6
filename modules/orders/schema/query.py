"""Orders queries: connections declared over the listings, and one order by its ID."""

from __future__ import annotations

import strawberry

from modules.orders.types.listings import ADMIN_QUEUE, ORDERS, SALES_REPS
from modules.orders.types.order import Order
from modules.orders.types.sales_rep import SalesRep
from schema.listing import connection
from schema.node import by_id
from schema.relay import Connection


@strawberry.type
class OrdersQuery:
    orders: Connection[Order] = connection(
        ORDERS,
        requires="orders.read",
        description="Orders you may see (providers and facility managers: their facilities').",
    )
    order: Order | None = by_id(Order, "One order by its ID (null when not visible). Needs orders.read.")
    admin_order_queue: Connection[Order] = connection(
        ADMIN_QUEUE,
        requires="orders.read",
        description="The review queue: orders awaiting review, at the manufacturer or shipped, "
        "newest submission first; `queueAction` says what each needs.",
    )
    sales_reps: Connection[SalesRep] = connection(SALES_REPS, requires="orders.read")
