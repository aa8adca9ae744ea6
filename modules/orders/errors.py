"""Error codes of the orders module, shown to clients in mutation payloads, and the runner
every orders mutation goes through."""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.mutations import MutationRunner


@strawberry.enum(description="What was wrong with an orders mutation's input.")
class OrdersErrorCode(Enum):
    REQUIRED = "required"
    INVALID = "invalid"
    TOO_LONG = "too_long"
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    INACTIVE = "inactive"
    FORBIDDEN = "forbidden"
    NEGATIVE = "negative"
    STALE = "stale"
    ILLEGAL_TRANSITION = "illegal_transition"
    NOT_EDITABLE = "not_editable"
    MIXED_MANUFACTURERS = "mixed_manufacturers"
    INSUFFICIENT_STOCK = "insufficient_stock"
    CYCLE = "cycle"


@strawberry.type(description="A problem with one field of an orders mutation's input.")
class OrdersError:
    field: str | None = strawberry.field(description="Input field path, e.g. `input.version`.")
    code: OrdersErrorCode
    message: str


mutate = MutationRunner(OrdersError, OrdersErrorCode)
