"""Keyset (cursor) pagination in SQL, for top-level lists and batched nested lists.

Every list sorts on one NOT NULL column plus the primary key as a tie-breaker, so
a cursor is the pair (sort value, id) and pages stay stable under inserts. A
nested list (say an organization's facilities) is fetched for a whole batch of
parents in one query, with `row_number()` per parent bounding each page.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Row

from app.errors import InputLimitError
from app.settings import get_settings
from schema.input_values import value_problem
from schema.relay import Connection, Edge, PageInfo

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    @property
    def backwards(self) -> bool:
        return self.last is not None

    @property
    def size(self) -> int:
        return self.last if self.last is not None else self.first  # type: ignore[return-value]


def page_args(first: int | None, after: str | None, last: int | None, before: str | None) -> PageArgs:
    """Validate Relay arguments against the maximum page size."""
    settings = get_settings()
    if first is not None and last is not None:
        raise InputLimitError("Pass either `first` or `last`, not both")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= settings.max_page_size:
            raise InputLimitError(f"`{name}` must be between 0 and {settings.max_page_size}")
    if first is None and last is None:
        first = settings.default_page_size
    return PageArgs(first, after, last, before)


@dataclass(frozen=True, slots=True)
class Order:
    column: sa.ColumnElement[Any]
    descending: bool = False


def encode_cursor(value: Any, pk: uuid.UUID) -> str:
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    return base64.urlsafe_b64encode(orjson.dumps([str(value), str(pk)])).decode()


def decode_cursor(cursor: str, column: sa.ColumnElement[Any]) -> tuple[Any, uuid.UUID]:
    try:
        raw, pk = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        python_type = column.type.python_type
        if python_type is dt.datetime:
            # In UTC, as the database compares it: an offset that moves it past year 1 or
            # 9999 fails here (OverflowError) rather than in the database.
            value: Any = dt.datetime.fromisoformat(raw)
            if value.tzinfo is None:
                raise ValueError("naive timestamp")
            value = value.astimezone(dt.UTC)
        elif python_type is dt.date:
            value = dt.date.fromisoformat(raw)
        else:
            value = python_type(raw)
        if value_problem(value) or not _fits(value, column.type):
            raise ValueError("unstorable value")
        return value, uuid.UUID(pk)
    except Exception as exc:  # any malformed cursor is the client's mistake
        raise InputLimitError("Invalid cursor") from exc


def _fits(value: Any, column_type: Any) -> bool:
    """Whether the sort column's type holds the value (a crafted cursor may not)."""
    if isinstance(value, int) and isinstance(column_type, sa.Integer):
        bits = (
            64
            if isinstance(column_type, sa.BigInteger)
            else 16
            if isinstance(column_type, sa.SmallInteger)
            else 32
        )
        return -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return False
        precision, scale = getattr(column_type, "precision", None), getattr(column_type, "scale", None) or 0
        return precision is None or abs(value) < Decimal(10) ** (precision - scale)
    return True


def _keyset(order: Order, pk: sa.ColumnElement[Any], cursor: str, after: bool) -> sa.ColumnElement[bool]:
    value, cursor_pk = decode_cursor(cursor, order.column)
    left = sa.tuple_(order.column, pk)
    right = sa.tuple_(sa.literal(value, order.column.type), sa.literal(cursor_pk, pk.type))
    return left > right if after != order.descending else left < right


def cursor_conditions(
    order: Order, pk: sa.ColumnElement[Any], args: PageArgs
) -> list[sa.ColumnElement[bool]]:
    """The keyset conditions of `after` and `before` (their values bound, not inlined)."""
    conditions = []
    if args.after:
        conditions.append(_keyset(order, pk, args.after, after=True))
    if args.before:
        conditions.append(_keyset(order, pk, args.before, after=False))
    return conditions


def paginate(
    stmt: sa.Select[Any],
    order: Order,
    pk: sa.ColumnElement[Any],
    args: PageArgs,
    partition: sa.ColumnElement[Any] | None = None,
) -> sa.Select[Any]:
    """Add cursor conditions, ordering and the page bound (one extra row tells if more exist)."""
    return bound_page(stmt.where(*cursor_conditions(order, pk, args)), order, pk, args, partition)


def bound_page(
    stmt: sa.Select[Any],
    order: Order,
    pk: sa.ColumnElement[Any],
    args: PageArgs,
    partition: sa.ColumnElement[Any] | None = None,
) -> sa.Select[Any]:
    """Ordering and the page bound of a statement that has its cursor conditions already."""
    flip = args.backwards
    descending = order.descending != flip
    ordering = [order.column.desc(), pk.desc()] if descending else [order.column.asc(), pk.asc()]
    if partition is None:
        return stmt.order_by(*ordering).limit(args.size + 1)
    ranked = stmt.add_columns(
        sa.func.row_number().over(partition_by=partition, order_by=ordering).label("_rank")
    ).subquery()
    return (
        sa.select(ranked)
        .where(ranked.c._rank <= args.size + 1)
        .order_by(ranked.c[partition.name], ranked.c._rank)
    )


def build_connection(
    rows: Sequence[Row[Any]],
    args: PageArgs,
    sort_key: str,
    make: Callable[[Row[Any]], T],
    count_total: Callable[[], Any],
) -> Connection[T]:
    """Turn the fetched rows (possibly one more than the page) into a Relay connection."""
    has_more = len(rows) > args.size
    rows = list(rows[: args.size])
    if args.backwards:
        rows.reverse()
    edges = [Edge(node=make(row), cursor=encode_cursor(row._mapping[sort_key], row.id)) for row in rows]
    page_info = PageInfo(
        has_next_page=has_more if not args.backwards else bool(args.before),
        has_previous_page=has_more if args.backwards else bool(args.after),
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return Connection(edges=edges, page_info=page_info, count_total=count_total)
