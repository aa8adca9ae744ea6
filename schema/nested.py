"""The one way a type resolves a nested connection: through a registered loader."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from strawberry.types import Info

from schema.lists import ListSpec, MatchRecorder, nested_connection_loader
from schema.pagination import page_args
from schema.relay import Connection

T = TypeVar("T")


async def child_connection(
    info: Info,
    spec: ListSpec,
    make: Callable[[Any], T],
    parent: str,
    parent_id: uuid.UUID,
    where: Sequence[sa.ColumnElement[bool]],
    where_key: object,
    order: tuple[str, bool],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    *,
    record_matches: MatchRecorder | None = None,
) -> Connection[T]:
    """`where_key` identifies the filter (its repr), so equal sub-queries share a batch."""
    args = page_args(first, after, last, before)
    key = ("nested", spec.table.name, parent, repr(where_key), order, args)
    loader = info.context.loaders.get(
        key,
        lambda ctx: nested_connection_loader(
            ctx, spec, make, parent, where, *order, args, record_matches=record_matches
        ),
    )
    return await loader.load(parent_id)
