"""`node(id:)` and `nodes(ids:)`: any object by its global ID (Relay).

Modules register their node types here (type name -> table, builder, permission).
An ID of another tenant, or one the caller's memberships hide, resolves to null
exactly like an ID that never existed.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from strawberry.types import Info

from app.errors import InputLimitError
from schema.lists import load_row
from schema.relay import Node, from_global_id

MAX_NODES = 100


@dataclass(frozen=True)
class NodeSource:
    table: sa.Table
    make: Callable[[Any], Node]
    permission: str


NODE_SOURCES: dict[str, NodeSource] = {}


def register_node(type_name: str, table: sa.Table, make: Callable[[Any], Node], permission: str) -> None:
    NODE_SOURCES[type_name] = NodeSource(table, make, permission)


async def _source(info: Info, global_id: str) -> tuple[NodeSource, uuid.UUID] | None:
    """Decode an ID and check the caller may read its type: no database row is read yet.
    A well-formed ID of a type no node has (the `ID` scalar refused malformed ones) names
    nothing: None, like an ID of a row that does not exist."""
    type_name, pk = from_global_id(global_id)
    source = NODE_SOURCES.get(type_name)
    if source is None:
        return None
    await info.context.require(source.permission)
    return source, pk


async def _load(info: Info, found: tuple[NodeSource, uuid.UUID] | None) -> Node | None:
    if found is None:
        return None
    source, pk = found
    row = await load_row(info.context, source.table, pk)
    return source.make(row) if row is not None else None


async def resolve_node(info: Info, global_id: str) -> Node | None:
    return await _load(info, await _source(info, global_id))


async def resolve_nodes(info: Info, global_ids: Sequence[str]) -> list[Node | None]:
    """Every ID is decoded and permission-checked before any is loaded: a bad one fails the
    field before lookups start, none is left running past the end of the request."""
    if len(global_ids) > MAX_NODES:
        raise InputLimitError(f"At most {MAX_NODES} IDs per request")
    sources = [await _source(info, gid) for gid in global_ids]
    return list(await asyncio.gather(*(_load(info, found) for found in sources)))
