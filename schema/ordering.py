"""The order-by inputs lists share: sort by a named field or by a timestamp, the id
breaking ties. A list maps each sort field to one of its columns (see `Listing`)."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry


@strawberry.enum
class SortDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.enum
class NamedSortField(Enum):
    NAME = "name"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.enum
class TimeSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.input(description="Sort by a named field; the id breaks ties.")
class NamedOrder:
    field: NamedSortField = NamedSortField.NAME
    direction: SortDirection = SortDirection.ASC


@strawberry.input(description="Sort by a timestamp; the id breaks ties.")
class TimeOrder:
    field: TimeSortField = TimeSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


def order_of(order: Any) -> tuple[str, bool]:
    """An order input as (sort field, descending)."""
    return order.field.value, order.direction is SortDirection.DESC


# Sort field -> column, for the common cases.
NAMED_COLUMNS = {"name": "name", "created_at": "created_at", "updated_at": "updated_at"}
TIMED_COLUMNS = {"created_at": "created_at", "updated_at": "updated_at"}
