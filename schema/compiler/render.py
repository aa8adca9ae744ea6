"""A plan and the shapes of a request's arguments, rendered as one SQL statement.

The statement returns the response's `data` as JSON text. A connection is a scalar
subquery over its page (`row_number()` over the list's order, one row more than the
page to tell whether more exist), aggregated with `json_agg(... ORDER BY ...)`; its
`totalCount` counts the rows its conditions match; a nested connection is correlated with
its parent's row, a to-one relation is a subquery by primary key. Parameters are numbered
slot by slot, in the order the binder gave them; page sizes are written as literals (part
of a slot's shape), so PostgreSQL can keep one generic plan for the statement.
"""

from __future__ import annotations

import re
from typing import Any

from schema.compiler import sql
from schema.compiler.bind import ROW
from schema.compiler.plan import ConnectionSlot, NodeSlot, Obj, Part, Plan, SlotPart, ToOnePart
from schema.lists import RANK

_PLACEHOLDER = re.compile(r"\$(\d+)")


class Renderer:
    def __init__(
        self,
        plan: Plan,
        shapes: tuple[tuple[Any, ...], ...],
        counts: list[int],
        base: int = 0,
        tenant: str | None = None,
    ) -> None:
        """`base`: parameters numbered before the plan's (the principal lookup's, fused).

        `tenant`: the caller's tenant as SQL, when the statement itself sets the tenant
        (fused with the principal lookup). Row-level security's `tenant_id =
        app_tenant_id()` is then planned before the setting exists, and PostgreSQL,
        estimating with it unset, expects one row of every list: each list, and each row
        looked up by key, also says `tenant_id = <tenant>`, so the planner sees the tenant
        it reads (same rows)."""
        self.plan = plan
        self.shapes = shapes
        self.offsets = [base + sum(counts[:i]) for i in range(len(counts))]
        self.tenant = tenant

    def statement(self) -> str:
        return f"SELECT {self.data()}"

    def data(self) -> str:
        """The response's `data` as JSON text."""
        return f"({sql.json_object([(k, self._part(p)) for k, p in self.plan.root])})::text"

    def _part(self, part: Part) -> str:
        if isinstance(part, str):
            return part
        if isinstance(part, ToOnePart):
            obj = part.obj
            return (
                f"(SELECT {self._object(obj)} FROM {sql.ident(part.table.name)} AS {obj.alias} "
                f"WHERE {self._tenant_of(part.table, obj.alias)}{obj.alias}.id = {part.key})"
            )
        if isinstance(part, Obj):
            return self._object(part)
        assert isinstance(part, SlotPart)
        slot = self.plan.slots[part.index]
        if isinstance(slot, NodeSlot):
            return self._node(slot, part.index)
        return self._connection(slot, part.index)

    def _tenant_of(self, table: Any, alias: str) -> str:
        """`<alias>.tenant_id = <tenant> AND ` for a row looked up by key in a fused
        statement: planned with the tenant unset, the policy's `tenant_id =
        app_tenant_id()` looks like it matches nothing, and any index on `tenant_id`
        (a product's category index, say) looks as good as the primary key."""
        if self.tenant is None or "tenant_id" not in table.c:
            return ""
        return f"{alias}.tenant_id = {self.tenant} AND "

    def _object(self, obj: Obj) -> str:
        return sql.json_object([(key, self._part(part)) for key, part in obj.parts])

    def _param(self, index: int, number: int) -> str:
        return f"${self.offsets[index] + number + 1}"

    def _node(self, slot: NodeSlot, index: int) -> str:
        types, keys = self._param(index, 0), self._param(index, 1)
        if slot.many:
            row = slot.alias
            pk = f"{row}.pk"
            chosen = f"{row}.type"
        else:
            pk, chosen = f"{keys}::uuid", f"{types}::text"
        cases = " ".join(
            f"WHEN {sql.literal(type_name)} THEN (SELECT {self._object(obj)} "
            f"FROM {sql.ident(table.name)} AS {obj.alias} "
            f"WHERE {self._tenant_of(table, obj.alias)}{obj.alias}.id = {pk})"
            for type_name, (table, obj) in slot.branches.items()
        )
        value = f"(CASE {chosen} {cases} END)" if cases else "NULL::json"
        if not slot.many:
            return value
        return (
            f"(SELECT coalesce(json_agg({value} ORDER BY {row}.ord), '[]'::json) "
            f"FROM unnest({types}::text[], {keys}::uuid[]) WITH ORDINALITY AS {row}(type, pk, ord))"
        )

    def _connection(self, slot: ConnectionSlot, index: int) -> str:
        backwards, sort, descending, after, before, terms, by, page_size = self.shapes[index]
        listing = slot.spec.listing
        table = listing.table
        numbers = iter(range(1_000))

        def param() -> str:
            return self._param(index, next(numbers))

        size = str(int(page_size))  # a literal: see bind_connection
        # Each condition as a function of the alias it reads (the page's rows, or the count's).
        conditions: list[Any] = []
        if self.tenant is not None and "tenant_id" in table.c:
            conditions.append(lambda a, tenant=self.tenant: f"{a}.tenant_id = {tenant}")
        if slot.parent_alias is not None:
            parent = sql.column(slot.parent_alias, "id")
            conditions.append(lambda a, c=slot.spec.parent: f"{sql.column(a, c)} = {parent}")
        for term in terms:
            conditions.append(_term(term, table, param))
        for name, found in by:
            if found:
                value = f"{param()}::uuid"
                conditions.append(lambda a, n=name, v=value: f"{sql.column(a, n)} = {v}")
            else:
                conditions.append(lambda a: "false")
        t = slot.alias
        keyed = [condition(t) for condition in conditions]
        if isinstance(sort, tuple):  # a computed sort key (a list's rank), kept as a column of the page
            key, sort_type = _term(sort, table, param)(t), "integer"
            kept, cursor_text = f", {key} AS {RANK}", f"{t}.{RANK}::text"
        else:
            key, sort_type = sql.column(t, sort), sql.sql_type(table.c[sort])
            kept, cursor_text = "", sql.as_text(table.c[sort], key)
        for given, is_after in ((after, True), (before, False)):
            if given:
                value, pk = param(), param()
                op = ">" if is_after != descending else "<"
                keyed.append(f"({key}, {t}.id) {op} ({value}::{sort_type}, {pk}::uuid)")
        direction = "DESC" if descending != backwards else "ASC"
        order = f"{key} {direction}, {t}.id {direction}"
        rows = (
            f"SELECT {t}.*{kept}, row_number() OVER (ORDER BY {order}) AS _rn "
            f"FROM {sql.ident(table.name)} AS {t} WHERE {' AND '.join(keyed) or 'true'} "
            f"ORDER BY {order} LIMIT {size} + 1"
        )
        shown = "DESC" if backwards else "ASC"
        hidden = "ASC" if backwards else "DESC"
        page = f"FILTER (WHERE {t}._rn <= {size})"
        cursor = sql.cursor(cursor_text, f"{t}.id")
        # The aggregates are computed over the page's rows first, then the object is written
        # from them: an aggregate inside the object's own sub-select would count that
        # sub-select's one row instead.
        aggregates: list[tuple[str, str]] = []
        a = f"{t}a"

        def aggregate(expression: str) -> str:
            aggregates.append((f"_{len(aggregates)}", expression))
            return f"{a}.{aggregates[-1][0]}"

        def flag(kind: str) -> str:
            if kind == "hasNextPage":
                return ("true" if before else "false") if backwards else aggregate(f"count(*) > {size}")
            if kind == "hasPreviousPage":
                return aggregate(f"count(*) > {size}") if backwards else ("true" if after else "false")
            order = shown if kind == "startCursor" else hidden
            return aggregate(f"(array_agg({cursor} ORDER BY {t}._rn {order}) {page})[1]")

        def rows_of(value: str) -> str:
            return aggregate(f"coalesce(json_agg({value} ORDER BY {t}._rn {shown}) {page}, '[]'::json)")

        def member(item: tuple[Any, ...]) -> str:
            kind = item[0]
            if kind == "const":
                return str(item[1])
            if kind == "node":
                return self._object(item[1])
            if kind == "cursor":
                return cursor
            return flag(kind)

        pairs: list[tuple[str, str]] = []
        for key, item in slot.items:
            kind = item[0]
            if kind == "const":
                pairs.append((key, item[1]))
            elif kind == "total":
                c = slot.count_alias
                counted = " AND ".join(condition(c) for condition in conditions) or "true"
                pairs.append((key, f"(SELECT count(*) FROM {sql.ident(table.name)} AS {c} WHERE {counted})"))
            elif kind == "nodes":
                pairs.append((key, rows_of(self._object(item[1]))))
            elif kind == "edges":
                edge = sql.json_object([(k, member(m)) for k, m in item[1]])
                pairs.append((key, rows_of(edge)))
            else:  # pageInfo
                pairs.append((key, sql.json_object([(k, member(m)) for k, m in item[1]])))
        computed = ", ".join(f"{e} AS {n}" for n, e in aggregates) or "count(*) AS _"
        # HAVING makes it one group, so one row even when the page has none.
        return (
            f"(SELECT {sql.json_object(pairs)} "
            f"FROM (SELECT {computed} FROM ({rows}) AS {t} HAVING true) AS {a})"
        )


def _term(term: tuple[Any, ...], table: Any, param: Any) -> Any:
    kind = term[0]
    if kind == "sql":  # a list's own condition, written against the alias ROW
        numbers = [param() for _ in range(term[2])]
        text = _PLACEHOLDER.sub(lambda m: numbers[int(m.group(1)) - 1], term[1])
        # Parenthesized: a condition's top-level OR must not bind looser than the AND joining it.
        return lambda a: "(" + text.replace(f"{ROW}.", f"{a}.") + ")"
    if kind == "active":
        return lambda a: f"{sql.column(a, 'deactivated_at')} IS NULL"
    if kind == "search":
        value = f"{param()}::text"
        return lambda a: "(" + " OR ".join(f"{sql.column(a, c)} ILIKE {value}" for c in term[1]) + ")"
    if kind == "is":
        flag = "true" if term[2] else "false"
        return lambda a: f"{sql.column(a, term[1])} IS {flag}"
    cast = sql.sql_type(table.c[term[1]])
    if kind == "in":
        value = f"{param()}::{cast}[]"
        return lambda a: f"{sql.column(a, term[1])} = ANY({value})"
    value = f"{param()}::{cast}"
    return lambda a: f"{sql.column(a, term[1])} = {value}"
