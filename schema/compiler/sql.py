"""SQL text the compiler writes: quoting, and the expressions that make PostgreSQL write
each value exactly as the resolvers do, so both paths answer byte for byte the same.

- a global ID is base64url("Type:uuid") without padding (`schema/relay.py:to_global_id`);
- a cursor is base64url of the JSON array [str(sort value), str(id)] with padding
  (`schema/pagination.py:encode_cursor`), the JSON as orjson writes it (PostgreSQL's
  `to_json` escapes strings the same way);
- a timestamp is Python's `isoformat()` in UTC: microseconds only when not zero;
- an enum is its GraphQL name, mapped from the stored value.

PostgreSQL's `encode(..., 'base64')` breaks lines every 76 characters; `translate` drops
those newlines along with the padding.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


class NotCompilable(Exception):
    """The operation (or a request's arguments) needs the resolvers: the reason says why."""


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def column(alias: str, name: str) -> str:
    return f"{alias}.{ident(name)}"


def sql_type(col: sa.Column[Any]) -> str:
    """The column's type as PostgreSQL spells it, for casting a parameter to it."""
    return str(col.type.compile(dialect=_DIALECT))


def _base64url(expr: str, *, padded: bool) -> str:
    dropped = "\\n" if padded else "\\n="
    return f"translate(encode(convert_to({expr}, 'UTF8'), 'base64'), E'+/{dropped}', '-_')"


def global_id(type_expr: str, pk_expr: str) -> str:
    """`to_global_id(type, pk)`; null when the key is null."""
    return _base64url(f"{type_expr} || ':' || {pk_expr}::text", padded=False)


def iso_timestamp(expr: str) -> str:
    """`datetime.isoformat()` of a timestamptz, in UTC."""
    utc = f"({expr} AT TIME ZONE 'UTC')"
    return (
        f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        f"extract(microseconds FROM {utc})::bigint % 1000000 = 0 THEN '' "
        f"ELSE to_char({utc}, '.US') END || '+00:00')"
    )


def iso_date(expr: str) -> str:
    return f"to_char({expr}, 'YYYY-MM-DD')"


def as_text(col: sa.Column[Any], expr: str) -> str:
    """`str(value)` of a column's value, as a cursor holds it."""
    kind = col.type.python_type
    if kind is dt.datetime:
        return iso_timestamp(expr)
    if kind is dt.date:
        return iso_date(expr)
    if kind in (str, uuid.UUID, int, Decimal):
        return f"{expr}::text"
    raise NotCompilable(f"cannot sort by {col.name}: no cursor text for {kind.__name__}")


def cursor(value_text: str, pk_expr: str) -> str:
    document = f"'[' || to_json({value_text})::text || ',\"' || {pk_expr}::text || '\"]'"
    return _base64url(document, padded=True)


def enum_name(expr: str, names_by_value: Mapping[str, str]) -> str:
    branches = " ".join(f"WHEN {literal(v)} THEN {literal(n)}" for v, n in names_by_value.items())
    return f"(CASE {expr}::text {branches} END)"


def json_object(pairs: list[tuple[str, str]]) -> str:
    """A JSON object with these keys in this order, written compactly (`row_to_json` of a
    row whose columns are the keys; `json_build_object` would put spaces around every
    colon and comma, and takes at most 100 arguments)."""
    if not pairs:
        return "json_build_object()"
    columns = ", ".join(f"{value} AS {ident(key)}" for key, value in pairs)
    return f"(SELECT row_to_json(o) FROM (SELECT {columns}) AS o)"
