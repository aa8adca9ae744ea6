"""Generic list reading: a connection over any table, top-level or nested in a batch.

A module describes each of its lists once (a `Listing`: table, sort columns, filter);
these helpers do the SQL. Reads run on the request's unit of work, so they see
exactly what row-level security lets this request see.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from aiodataloader import DataLoader
from sqlalchemy.dialects.postgresql import ARRAY

from app.context import RequestContext
from app.tables import readable
from schema.pagination import Order, PageArgs, bound_page, build_connection, cursor_conditions
from schema.relay import Connection
from schema.statements import shaped

T = TypeVar("T")

MatchRecorder = Callable[[Sequence[uuid.UUID]], None]
"""Told the id of every row a list's filter matches, on every page or none (see below)."""


class Sortable(Protocol):
    """What list reading needs of a list's description (see schema/listing.py)."""

    @property
    def table(self) -> sa.Table: ...

    @property
    def sort(self) -> Mapping[str, str]: ...  # sort field -> column


RANK = "medgraph_rank"
"""The label of a computed sort key in a page's rows (see `Listing.sort_of`)."""


def _order(
    spec: Sortable, field: str, descending: bool, rank: sa.ColumnElement[Any] | None
) -> tuple[Order, str]:
    if rank is not None:
        return Order(rank, descending), RANK
    column_name = spec.sort[field]
    return Order(spec.table.c[column_name], descending), column_name


def _columns(table: sa.Table, rank: sa.ColumnElement[Any] | None) -> list[Any]:
    return [*readable(table), rank.label(RANK)] if rank is not None else readable(table)


def any_of(column: sa.ColumnElement[Any], keys: Sequence[Any]) -> sa.ColumnElement[bool]:
    """`column = ANY(:keys)`: one statement text whatever the batch size (prepared once)."""
    return column == sa.any_(sa.bindparam("keys", list(keys), type_=ARRAY(column.type), unique=True))


async def fetch_rows(
    ctx: RequestContext, stmt: sa.Executable, params: Mapping[str, Any] | None = None
) -> Sequence[Any]:
    async def fetch(conn: Any) -> Sequence[Any]:
        return (await conn.execute(stmt, params)).all()

    return await ctx.uow.read(fetch)


def _page_shape(spec: Sortable, sort_key: str, order: Order, args: PageArgs, parent: str | None) -> Hashable:
    return ("page", spec.table, sort_key, order.descending, args.size, args.backwards, parent)


async def list_connection(
    ctx: RequestContext,
    spec: Sortable,
    make: Callable[[Any], T],
    where: Sequence[sa.ColumnElement[bool]],
    order_field: str,
    descending: bool,
    args: PageArgs,
    *,
    record_matches: MatchRecorder | None = None,
    rank: sa.ColumnElement[Any] | None = None,
) -> Connection[T]:
    """One page of a list. `record_matches`, when given, hears of every row the filter
    matches, whatever the page holds: a search by PHI reveals a match through
    `totalCount` or `hasNextPage` as surely as through a row, so each match is logged.
    `rank`, when given, is the sort key instead of the `order_field` column."""
    order, sort_key = _order(spec, order_field, descending, rank)
    table = spec.table
    paged = [*where, *cursor_conditions(order, table.c.id, args)]
    page, params = shaped(
        _page_shape(spec, sort_key, order, args, None),
        paged,
        lambda: bound_page(sa.select(*_columns(table, rank)).where(*paged), order, table.c.id, args),
        () if rank is None else (rank,),
    )
    rows = await fetch_rows(ctx, page, params)
    if record_matches is not None:
        matched, params = shaped(("ids", table), where, lambda: sa.select(table.c.id).where(*where))
        record_matches([row.id for row in await fetch_rows(ctx, matched, params)])

    async def count_total() -> int:
        count, params = shaped(
            ("count", table), where, lambda: sa.select(sa.func.count()).select_from(table).where(*where)
        )
        rows = await fetch_rows(ctx, count, params)
        return int(rows[0][0] or 0)

    return build_connection(rows, args, sort_key, make, count_total)


def rows_by_id_loader(ctx: RequestContext, table: sa.Table, make: Callable[[Any], T]) -> DataLoader:
    """Load many rows by primary key in one `id = ANY(:keys)` query; None where not visible."""

    async def batch(keys: list[uuid.UUID]) -> list[T | None]:
        where = [any_of(table.c.id, keys)]
        stmt, params = shaped(("by_id", table), where, lambda: sa.select(*readable(table)).where(*where))
        rows = await fetch_rows(ctx, stmt, params)
        found = {row.id: make(row) for row in rows}
        return [found.get(key) for key in keys]

    return DataLoader(batch)


def _identity(row: Any) -> Any:
    return row


async def load_row(ctx: RequestContext, table: sa.Table, pk: uuid.UUID) -> Any | None:
    """One row by primary key through the request's shared loader for that table."""
    loader = ctx.loaders.get(("by_id", table.name), lambda c: rows_by_id_loader(c, table, _identity))
    return await loader.load(pk)


def nested_connection_loader(
    ctx: RequestContext,
    spec: Sortable,
    make: Callable[[Any], T],
    parent: str,
    where: Sequence[sa.ColumnElement[bool]],
    order_field: str,
    descending: bool,
    args: PageArgs,
    *,
    record_matches: MatchRecorder | None = None,
    rank: sa.ColumnElement[Any] | None = None,
) -> DataLoader:
    """One connection per parent id, for a whole batch of parents in one query
    (and, with `record_matches`, one more query for every match of the whole batch).

    Register it under a key made of the field's arguments (see LoaderRegistry), so
    every parent asking with the same arguments joins the same batch.
    """
    order, sort_key = _order(spec, order_field, descending, rank)
    parent_col = spec.table.c[parent]

    async def count_for(parent_id: uuid.UUID) -> int:
        return int(await counts.load(parent_id))

    table = spec.table
    paged = [*where, *cursor_conditions(order, table.c.id, args)]

    async def batch(keys: list[uuid.UUID]) -> list[Connection[T]]:
        of_parents = [any_of(parent_col, keys), *paged]
        page, params = shaped(
            _page_shape(spec, sort_key, order, args, parent),
            of_parents,
            lambda: bound_page(
                sa.select(*_columns(table, rank)).where(*of_parents), order, table.c.id, args, parent_col
            ),
            () if rank is None else (rank,),
        )
        rows = await fetch_rows(ctx, page, params)
        if record_matches is not None:
            matching = [any_of(parent_col, keys), *where]
            matched, params = shaped(("ids", table), matching, lambda: sa.select(table.c.id).where(*matching))
            record_matches([row.id for row in await fetch_rows(ctx, matched, params)])
        grouped: dict[uuid.UUID, list[Any]] = {key: [] for key in keys}
        for row in rows:
            grouped[row._mapping[parent]].append(row)
        return [build_connection(grouped[key], args, sort_key, make, _bind(count_for, key)) for key in keys]

    async def count_batch(keys: list[uuid.UUID]) -> list[int]:
        matching = [any_of(parent_col, keys), *where]
        stmt, params = shaped(
            ("count_by", table, parent),
            matching,
            lambda: sa.select(parent_col, sa.func.count()).where(*matching).group_by(parent_col),
        )
        found = {row[0]: row[1] for row in await fetch_rows(ctx, stmt, params)}
        return [found.get(key, 0) for key in keys]

    counts = DataLoader(count_batch)
    return DataLoader(batch)


def _bind(fn: Callable[[Any], Any], key: Hashable) -> Callable[[], Any]:
    return lambda: fn(key)
