"""Lists of an entity, declared once, and connection fields declared with keywords.

A `Listing` says how a list of one entity is filtered and sorted: its table, the
column behind each sort field, the filter input and the conditions it means, the
order-by input (its defaults are the default order) and, for a list searched by
PHI, who hears of every match. Any number of connection fields read it:

    organizations: Connection[Organization] = connection(ORGANIZATIONS, requires="tenancy.read")
    facilities: Connection[Facility] = connection(FACILITIES, parent="organization_id")

A top-level connection checks its permission once, as the field's extension; a nested
one (`parent=`: the column of the listed table that holds the parent's id) loads the
pages of every parent in one batch. Arguments come in one order everywhere: `first`,
`after`, then `last`, `before` (unless `backward=False`), the `by` IDs, `filter`,
`orderBy`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import strawberry
from strawberry.types import Info
from strawberry.types.lazy_type import LazyType

from app.context import RequestContext
from schema.entities import EntitySpec, spec_of
from schema.filtering import FieldMatch, id_matches
from schema.lists import MatchRecorder, list_connection, nested_connection_loader
from schema.ordering import order_of
from schema.pagination import page_args
from schema.permissions import requires as requires_extension

Where = Callable[[RequestContext, Any], list[sa.ColumnElement[bool]]]
Guard = Callable[[Info, Any], Awaitable[None]]


@dataclass(frozen=True)
class Ranked:
    """A sort field computed from the filter (relevance to a search, say): `rank(filter)`
    is an integer expression over the listed table, or None when the filter gives nothing
    to rank by. A filter that ranks sorts by it, highest first, unless `orderBy` says
    otherwise; `orderBy` naming it without anything to rank by sorts by the default."""

    field: str
    rank: Callable[[Any], sa.ColumnElement[int] | None]


@dataclass(frozen=True)
class Listing:
    """How lists of one entity are filtered and sorted.

    `order` is the order-by input (its defaults are the order when `orderBy` is not
    given); `fixed_order` is the order of connections that offer no `orderBy` (the
    default order when not given). A `where` function given no filter (`where(ctx,
    None)`) answers the same conditions for every request and caller: compiled plans
    without a `filter` argument are bound once on that promise. `matches` returns, for a
    filter, a recorder told of every row it matches (searching by PHI reads PHI), or None.
    """

    table: sa.Table
    sort: Mapping[str, str]
    filter: type | None = None
    where: Where | FieldMatch | None = None
    order: type | None = None
    fixed_order: tuple[str, bool] | None = None
    matches: Callable[[RequestContext, Any], MatchRecorder | None] | None = None
    ranked: Ranked | None = None

    def __post_init__(self) -> None:
        for column in self.sort.values():
            if column not in self.table.c:
                raise TypeError(f"listing of {self.table.name}: no column {column!r} to sort by")
        if (self.filter is None) != (self.where is None):
            raise TypeError(f"listing of {self.table.name}: give both `filter` and `where`, or neither")
        if isinstance(self.where, FieldMatch):
            self.where.check(self.table, self.filter)  # type: ignore[arg-type]
        if self.order is None and self.fixed_order is None:
            raise TypeError(f"listing of {self.table.name}: give an `order` input or a `fixed_order`")

    def default_order(self, ordered: bool) -> tuple[str, bool]:
        if ordered or self.fixed_order is None:
            return order_of(self.order())  # type: ignore[misc]
        return self.fixed_order

    def sort_of(
        self, order: Any, filter: Any, default: tuple[str, bool]
    ) -> tuple[str, bool, sa.ColumnElement[int] | None]:
        """(sort field, descending, its expression when computed) for an `orderBy` input
        (or None) and a filter; the one place both the resolvers and the compiler ask."""
        field, descending = order_of(order) if order is not None else default
        if self.ranked is None or (order is not None and field != self.ranked.field):
            return field, descending, None
        rank = self.ranked.rank(filter)
        if rank is None:
            return (*default, None) if field == self.ranked.field else (field, descending, None)
        return self.ranked.field, descending if order is not None else True, rank

    def conditions(self, ctx: RequestContext, filter: Any) -> list[sa.ColumnElement[bool]]:
        if isinstance(self.where, FieldMatch):
            return self.where.conditions(self.table, filter)
        return self.where(ctx, filter) if self.where is not None else []


@dataclass
class ConnectionSpec:
    """One connection field: what a compiler needs beside the listing."""

    listing: Listing
    parent: str | None
    backward: bool
    filtered: bool
    ordered: bool
    by: dict[str, str] = field(default_factory=dict)
    requires: str | None = None  # the permission a reader needs
    guard: Guard | None = None  # or a check of its own (self-or-permission, say)
    target: EntitySpec | None = None  # the listed entity, bound when the schema is built
    default_sort: tuple[str, bool] = ("created_at", False)  # (sort field, descending) without orderBy

    def bind(self, field_type: Any) -> EntitySpec:
        """Bind to the entity the field's `Connection[...]` lists (a declared entity over
        the listing's table)."""
        node_type = field_type.__strawberry_definition__.type_var_map["T"]
        if isinstance(node_type, LazyType):
            node_type = node_type.resolve_type()
        target = spec_of(node_type)
        if target.table is not self.listing.table:
            raise TypeError(f"{target.type_name} is not read from {self.listing.table.name}")
        self.target = target
        return target


def _parameters(spec: ConnectionSpec) -> list[inspect.Parameter]:
    keyword = inspect.Parameter.KEYWORD_ONLY
    names: list[tuple[str, Any]] = [("first", int | None), ("after", str | None)]
    if spec.backward:
        names += [("last", int | None), ("before", str | None)]
    names += [(name, strawberry.ID | None) for name in spec.by]
    if spec.filtered:
        names.append(("filter", spec.listing.filter | None))  # type: ignore[operator]
    if spec.ordered:
        names.append(("order_by", spec.listing.order | None))  # type: ignore[operator]
    return [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("info", keyword, annotation=Info),
        *(inspect.Parameter(name, keyword, default=None, annotation=kind) for name, kind in names),
    ]


def connection(
    listing: Listing,
    *,
    parent: str | None = None,
    backward: bool = True,
    filtered: bool | None = None,
    ordered: bool | None = None,
    by: Mapping[str, str] | None = None,
    requires: str | None = None,
    guard: Guard | None = None,
    description: str | None = None,
) -> Any:
    """A connection field over `listing` (see the module docstring).

    `by` maps extra ID arguments to the column they match and the type of ID they take
    (`{"organization_id": "Organization"}`); an ID of another type matches nothing.
    `filtered`/`ordered` default to whether the listing has a filter / an order input.
    `requires` is the permission the field needs; `guard`, a check of its own.
    """
    spec = ConnectionSpec(
        listing,
        parent,
        backward,
        listing.filter is not None if filtered is None else filtered,
        listing.order is not None if ordered is None else ordered,
        dict(by or {}),
        requires,
        guard,
    )
    where = f"connection over {listing.table.name}"
    if parent is not None and parent not in listing.table.c:
        raise TypeError(f"{where}: no parent column {parent!r}")
    if requires is not None and guard is not None:
        raise TypeError(f"{where}: give `requires` or a `guard`, not both (a guard checks all it needs)")
    if parent is None and requires is None:
        raise TypeError(f"{where}: a top-level connection declares the permission it `requires`")
    default_sort = spec.default_sort = listing.default_order(spec.ordered)  # once, not per request
    nested_check: Guard | None = guard
    if guard is None and requires is not None and parent is not None:

        async def nested_check(info: Info, _: Any) -> None:
            await info.context.require(requires)

    async def resolve(self: Any, info: Info, **arguments: Any) -> Any:
        if nested_check is not None:
            await nested_check(info, self)
        ctx = info.context
        target = spec.target or spec.bind(info.return_type)
        chosen = arguments.get("filter")
        where = listing.conditions(ctx, chosen)
        for name, type_name in spec.by.items():
            value = arguments.get(name)
            if value is not None:
                where.append(id_matches(listing.table.c[name], value, type_name))
        sort_field, descending, rank = listing.sort_of(arguments.get("order_by"), chosen, default_sort)
        args = page_args(
            arguments.get("first"), arguments.get("after"), arguments.get("last"), arguments.get("before")
        )
        recorder = listing.matches(ctx, chosen) if listing.matches is not None else None
        if parent is None:
            return await list_connection(
                ctx,
                listing,
                target.from_row,
                where,
                sort_field,
                descending,
                args,
                record_matches=recorder,
                rank=rank,
            )
        key = ("nested", id(listing), parent, repr(chosen), sort_field, descending, args)
        loader = ctx.loaders.get(
            key,
            lambda c: nested_connection_loader(
                c,
                listing,
                target.from_row,
                parent,
                where,
                sort_field,
                descending,
                args,
                record_matches=recorder,
                rank=rank,
            ),
        )
        return await loader.load(self.row.id)

    resolve.__signature__ = inspect.Signature(_parameters(spec))  # type: ignore[attr-defined]
    resolve.__relation__ = spec  # type: ignore[attr-defined]
    extensions = requires_extension(requires) if requires is not None and parent is None else []
    return strawberry.field(resolver=resolve, description=description, extensions=extensions)


__all__ = ["ConnectionSpec", "Listing", "Ranked", "connection"]
