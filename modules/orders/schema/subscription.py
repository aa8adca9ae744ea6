"""Live order status: every status change a subscriber may see, as it commits, resumable
from the last event's cursor (see schema/live.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.types import Info

from app.errors import ClientError
from modules.orders import models as m
from modules.orders.events import ORDER_STATUS_CHANGED
from modules.orders.types.enums import OrderStatus
from modules.orders.types.order import Order
from schema.lists import load_row
from schema.live import event_cursor, live, settled
from schema.permissions import authenticated
from schema.relay import decode_id, to_global_id


class OrderNotFound(ClientError):
    code = "NOT_FOUND"


async def _visible(info: Info, pk: Any) -> bool:
    await info.context.require("orders.read")
    return pk is not None and await load_row(info.context, m.orders, pk) is not None


@strawberry.type(description="An order moved from one status to another.")
class OrderStatusEvent:
    cursor: str = strawberry.field(description="Pass as `after` to resume after this event.")
    order: Order = strawberry.field(description="The order as it is when the event is delivered.")
    from_status: OrderStatus | None
    to_status: OrderStatus
    version: int = strawberry.field(description="The order's version once moved.")
    changed_by_id: strawberry.ID | None = strawberry.field(
        description="The user who moved it (a User's ID); null when the system did (a worker)."
    )
    changed_at: dt.datetime


@strawberry.type
class OrdersSubscription:
    @strawberry.subscription(
        extensions=authenticated(),
        description="Status changes of one order (`orderId`) or of every order the caller may see, "
        "as they commit. With `after` (an event's `cursor`), what followed it is replayed first, "
        "with no gap or duplicate. Needs orders.read; each event is checked again for the caller "
        "(facility narrowing applies), and a caller no longer allowed is disconnected (4403).",
    )
    async def order_status_changed(
        self, info: Info, order_id: strawberry.ID | None = None, after: str | None = None
    ) -> AsyncGenerator[OrderStatusEvent, None]:
        pk = None if order_id is None else decode_id(order_id, "Order")
        if order_id is not None and not await settled(info.context, _visible(info, pk)):
            raise OrderNotFound("No such order")
        async for event, order in live(info, "Order", {ORDER_STATUS_CHANGED.name}, after=after, entity_id=pk):
            payload = event.payload
            yield OrderStatusEvent(
                cursor=event_cursor(event),
                order=order,
                from_status=None
                if payload.get("from_status") is None
                else OrderStatus(payload["from_status"]),
                to_status=OrderStatus(payload["to_status"]),
                version=int(payload.get("version") or 0),
                changed_by_id=None
                if event.actor_user_id is None
                else strawberry.ID(to_global_id("User", event.actor_user_id)),
                changed_at=event.created_at,
            )
