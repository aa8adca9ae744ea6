"""SQL statements built once per shape; only their values change from request to request.

A list's page, its count, a batch by id: request after request the same statement but for
the values in it (parent ids, the filter's values, a cursor). Building a SQLAlchemy
construct and working out its cache key (how SQLAlchemy finds the compiled SQL) costs
tens of microseconds a statement; here a statement is built on the first use of its
shape and kept. The shape is what the caller names (table, sort, page bound, …) and the
structure of the conditions, as SQLAlchemy's own cache key sees it: their bound values
left out. Those values, in the order that key lists them, are what SQLAlchemy would
extract from a new statement of the same structure; they are passed by name to the
bound parameters of the kept one, which stand at the same places.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import sqlalchemy as sa

MAX_SHAPES = 4096  # shapes come from the schema's lists and the page bounds: far fewer in practice

_kept: dict[Hashable, tuple[Any, tuple[str, ...]]] = {}


def shaped(
    shape: Hashable,
    where: Sequence[sa.ColumnElement[bool]],
    build: Callable[[], Any],
    values: Sequence[sa.ColumnElement[Any]] = (),
) -> tuple[Any, dict[str, Any]]:
    """The statement `build()` makes (from `where`, plus what `shape` names), and the
    parameters that bind this request's values of `where` to it. `values` are other
    expressions of the statement with values of their own (a computed sort key, say)."""
    structure: Hashable = ()
    binds: Sequence[Any] = ()
    if where or values:
        key = (sa.tuple_(*where, *values) if values else sa.and_(*where))._generate_cache_key()
        if key is None:  # something SQLAlchemy cannot cache: build it every time
            return build(), {}
        structure, binds = key.key, key.bindparams
    entry = _kept.get((shape, structure))
    if entry is None:
        if len(_kept) >= MAX_SHAPES:
            _kept.clear()
        entry = _kept[(shape, structure)] = (build(), tuple(bind.key for bind in binds))
    statement, names = entry
    return statement, {name: bind.effective_value for name, bind in zip(names, binds, strict=True)}
