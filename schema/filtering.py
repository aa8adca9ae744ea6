"""Filter inputs read field by field, declared rather than written out.

    Listing(m.facilities, ..., filter=FacilityFilter,
            where=FieldMatch(search=("name",), types="type", statuses="status", npi="npi"))

Each filter field given maps to one condition on its column: a list matches any of its
values (enum members by their stored value), `True`/`False` match that flag, anything
else matches exactly; `search` looks for its text, case-insensitively, anywhere in any
of the columns named. A table with `deactivated_at` hides soft-deleted rows unless the
filter says `include_deactivated`. A list whose filter needs more (PHI blind indexes, IDs
to decode) writes its own `where(ctx, filter)`; a compiler reads a `FieldMatch` as data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import sqlalchemy as sa

from schema.relay import decode_id


def like_pattern(text: str) -> str:
    """`text` anywhere, with LIKE's wildcards in it taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def id_matches(column: Any, global_id: str, type_name: str) -> sa.ColumnElement[bool]:
    """`column` equals the row a global ID names; an ID of another type matches nothing."""
    pk = decode_id(global_id, type_name)
    return column == pk if pk else sa.false()


def stored(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


@dataclass(frozen=True, init=False)
class FieldMatch:
    search: tuple[str, ...]
    columns: Mapping[str, str]  # filter field -> column

    def __init__(self, search: tuple[str, ...] = (), **columns: str) -> None:
        object.__setattr__(self, "search", search)
        object.__setattr__(self, "columns", columns)

    def check(self, table: sa.Table, filter_type: type) -> None:
        """Every column exists, and every filter field means something: a field left
        unmapped would silently filter nothing."""
        fields = set(getattr(filter_type, "__annotations__", {}))
        for column in (*self.columns.values(), *self.search):
            if column not in table.c:
                raise TypeError(f"filter of {table.name}: no column {column!r}")
        understood = set(self.columns) | {"include_deactivated"} | ({"search"} if self.search else set())
        if unknown := sorted(set(self.columns) - fields):
            raise TypeError(f"{filter_type.__name__} has no fields {unknown}")
        if "include_deactivated" in fields and "deactivated_at" not in table.c:
            raise TypeError(f"{filter_type.__name__}: {table.name} has no deactivated rows to include")
        if unmapped := sorted(fields - understood):
            raise TypeError(f"{filter_type.__name__}: fields {unmapped} map to no column")

    def terms(self, table: sa.Table, f: Any) -> list[tuple[str, Any, Any]]:
        """What filter `f` asks for, as (kind, column or columns, value): `active` (not
        soft-deleted), `search` (the LIKE pattern over the search columns), `in`, `is`,
        `eq`. The resolvers turn these into SQLAlchemy conditions (`conditions`), compiled
        reads into SQL text: one reading of the filter for both."""
        found: list[tuple[str, Any, Any]] = []
        if "deactivated_at" in table.c and not getattr(f, "include_deactivated", False):
            found.append(("active", "deactivated_at", None))
        if f is None:
            return found
        text = getattr(f, "search", None)
        if self.search and text:
            found.append(("search", self.search, like_pattern(text)))
        for name, column in self.columns.items():
            value = getattr(f, name, None)
            if value is None or value == [] or value == "":
                continue
            if isinstance(value, list):
                found.append(("in", column, [stored(v) for v in value]))
            elif isinstance(value, bool):
                found.append(("is", column, value))
            else:
                found.append(("eq", column, stored(value)))
        return found

    def conditions(self, table: sa.Table, f: Any) -> list[sa.ColumnElement[bool]]:
        c = table.c
        where: list[sa.ColumnElement[bool]] = []
        for kind, column, value in self.terms(table, f):
            if kind == "active":
                where.append(c[column].is_(None))
            elif kind == "search":
                where.append(sa.or_(*(c[name].ilike(value) for name in column)))
            elif kind == "in":
                where.append(c[column].in_(value))
            elif kind == "is":
                where.append(c[column].is_(value))
            else:
                where.append(c[column] == value)
        return where
