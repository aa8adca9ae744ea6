"""A request's arguments bound to a plan: for every slot, the shape of its SQL (the page
direction, the order, which filters apply, which cursors were given) and its parameters.

The shapes together pick the statement text (rendered once per shape, schema/compiler/
render.py); the parameters go with it. Arguments the resolvers would refuse (a page too
large, a malformed cursor, an ID of a type the caller may not read) raise NotCompilable:
the resolvers answer those requests, with the errors they always give.

The conditions mirror `FieldMatch.conditions` (schema/filtering.py) and the keyset of
`schema/pagination.py`; the differential tests hold the two paths to the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql.execution.values import VariableValues, get_argument_values
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.sql.util import ClauseAdapter
from strawberry.types.arguments import convert_arguments

from app.errors import ClientError
from schema.compiler.plan import ConnectionSlot, NodeSlot, Plan
from schema.compiler.sql import NotCompilable
from schema.filtering import FieldMatch
from schema.node import MAX_NODES
from schema.pagination import decode_cursor, page_args
from schema.relay import decode_id, from_global_id

Shape = tuple[Any, ...]
_DIALECT = asyncpg.dialect()  # type: ignore[no-untyped-call]


class Binder:
    """Converts each slot's GraphQL arguments as Strawberry would for its resolver."""

    def __init__(self, strawberry_schema: Any) -> None:
        self.scalars = strawberry_schema.schema_converter.scalar_registry
        self.config = strawberry_schema.config

    def bind(
        self, plan: Plan, variables: VariableValues, ctx: Any
    ) -> tuple[tuple[Shape, ...], list[Any], list[int]]:
        """The shape of each slot, all parameters in slot order, and how many each slot has."""
        if plan.bound is not None:
            return plan.bound  # type: ignore[no-any-return]
        shapes: list[Shape] = []
        params: list[Any] = []
        counts: list[int] = []
        try:
            for slot in plan.slots:
                raw = get_argument_values(slot.gfield, slot.node, variables)
                if isinstance(slot, ConnectionSlot):
                    definition = slot.gfield.extensions["strawberry-definition"]
                    arguments = convert_arguments(raw, definition.arguments, self.scalars, self.config)
                    shape, values = bind_connection(slot, arguments, ctx)
                else:
                    shape, values = bind_node(slot, raw)
                shapes.append(shape)
                params.extend(values)
                counts.append(len(values))
        except ClientError as exc:
            raise NotCompilable(f"the resolvers answer this request's arguments: {exc.message}") from exc
        bound = tuple(shapes), params, counts
        if plan.static:
            plan.bound = bound
        return bound


def bind_connection(slot: ConnectionSlot, arguments: Mapping[str, Any], ctx: Any) -> tuple[Shape, list[Any]]:
    spec, listing = slot.spec, slot.spec.listing
    page = page_args(
        arguments.get("first"), arguments.get("after"), arguments.get("last"), arguments.get("before")
    )
    chosen = arguments.get("filter")
    sort_field, descending, rank = listing.sort_of(arguments.get("order_by"), chosen, spec.default_sort)
    params: list[Any] = []
    if listing.matches is not None and listing.matches(ctx, chosen) is not None:
        raise NotCompilable("this filter finds rows by PHI: each match is logged by the resolvers")
    if listing.where is None or isinstance(listing.where, FieldMatch):
        terms = _match_terms(listing.where, listing.table, chosen, params)
    else:
        terms = _own_terms(listing.where(ctx, chosen), listing.table, params)
    by = []
    for name, type_name in spec.by.items():
        value = arguments.get(name)
        if value is None:
            continue
        pk = decode_id(value, type_name)
        by.append((name, pk is not None))
        if pk is not None:
            params.append(pk)
    # The sort key: a column, or a computed one (its SQL and parameters, like a condition's).
    sort: Any = listing.sort[sort_field] if rank is None else _own_terms([rank], listing.table, params)[0]
    key = listing.table.c[sort] if rank is None else rank
    for cursor in (page.after, page.before):
        if cursor:
            params.extend(decode_cursor(cursor, key))
    # The page size is part of the shape, written into the statement rather than passed:
    # with `LIMIT $n` PostgreSQL cannot cost a generic plan (it guesses a tenth of the
    # table), so it plans the statement afresh on every run, about a third of its time.
    size = int(page.size)
    shape = (page.backwards, sort, descending, bool(page.after), bool(page.before), terms, tuple(by), size)
    return shape, params


def _match_terms(match: FieldMatch | None, table: Any, f: Any, params: list[Any]) -> tuple[Any, ...]:
    """The filter's terms (`FieldMatch.terms`, which the resolvers read too) as shape terms
    and their parameters."""
    terms: list[tuple[Any, ...]] = []
    for kind, column, value in (match or _NO_FILTER).terms(table, f):
        if kind == "active":
            terms.append(("active",))
        elif kind == "is":
            terms.append(("is", column, value))  # a literal in the text: true or false
        else:
            terms.append((kind, column))
            params.append(value)
    return tuple(terms)


_NO_FILTER = FieldMatch()  # a list without a filter: only its soft-deleted rows are hidden


ROW = "medgraph_row"  # the alias a list's own conditions are written against, replaced when rendered


def _own_terms(conditions: list[Any], table: Any, params: list[Any]) -> tuple[Any, ...]:
    """The SQLAlchemy conditions a list's own `where` function returns (or a computed sort
    key), as SQL text against the alias ROW with their parameters (`$1`... of their own,
    renumbered when rendered)."""
    adapter = ClauseAdapter(table.alias(ROW))
    terms = []
    for condition in conditions:
        compiled = adapter.traverse(condition).compile(
            dialect=_DIALECT, compile_kwargs={"render_postcompile": True}
        )
        values = compiled.construct_params()
        names = compiled.positiontup or []
        terms.append(("sql", str(compiled), len(names)))
        params.extend(values[name] for name in names)
    return tuple(terms)


def bind_node(slot: NodeSlot, arguments: Mapping[str, Any]) -> tuple[Shape, list[Any]]:
    ids = arguments["ids"] if slot.many else [arguments["id"]]
    if len(ids) > MAX_NODES:
        raise NotCompilable(f"more than {MAX_NODES} IDs: the resolvers refuse it")
    types, keys = [], []
    for global_id in ids:
        type_name, pk = from_global_id(global_id)
        if type_name in slot.denied:
            raise NotCompilable(f"an ID of type {type_name}, which the caller may not read")
        known = type_name in slot.branches
        types.append(type_name if known else "")
        keys.append(pk if known else None)
    return (), [types, keys] if slot.many else [types[0], keys[0]]
