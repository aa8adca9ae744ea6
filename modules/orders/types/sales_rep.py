"""Sales reps: who acquired an order (commissions build on them later)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from modules.orders import models as m
from modules.orders.types.enums import SalesRepStatus
from modules.orders.types.listings import ORDERS, SALES_REPS
from modules.orders.types.refs import OrderRef, SalesRepRef
from modules.tenancy import UserRef
from schema.entities import entity, to_one
from schema.listing import connection
from schema.relay import Connection, Node


@entity(m.sales_reps, node="orders.read", listing=SALES_REPS)
@strawberry.type(description="A sales representative; reps may report to a parent rep.")
class SalesRep(Node):
    name: str
    email: str | None
    phone: str | None
    employee_id: str | None
    territory: str | None
    commission_rate: Decimal | None = strawberry.field(description="Percent of a direct sale.")
    parent_share_percent: Decimal | None = strawberry.field(
        description="Percent of this rep's commission that goes to the parent rep."
    )
    status: SalesRepStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    deactivated_at: dt.datetime | None

    user: UserRef | None = to_one("user_id", requires="users.read", description="Needs users.read.")
    parent: SalesRepRef | None = to_one("parent_rep_id")
    orders: Connection[OrderRef] = connection(
        ORDERS, parent="sales_rep_id", description="Orders this rep acquired."
    )
