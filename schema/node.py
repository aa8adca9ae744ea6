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
import strawberry
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


def by_id(node_type: type, description: str | None = None) -> Any:
    """A root field answering one type's object by its global ID (`order(id:)`): `node`
    narrowed to one type, and compiled as `node` is. An ID of another type names nothing
    (null), as in `node`; reading the type needs its node permission."""

    type_name = node_type.__strawberry_definition__.name  # type: ignore[attr-defined]

    async def resolve(self: Any, info: Info, id: strawberry.ID) -> Any:
        type_name_of_id, _ = from_global_id(id)
        if type_name_of_id != type_name:
            return None
        return await resolve_node(info, id)

    resolve.__annotations__ = {"info": Info, "id": strawberry.ID, "return": node_type | None}
    resolve.__by_id__ = type_name  # type: ignore[attr-defined]
    return strawberry.field(resolver=resolve, description=description)


async def resolve_nodes(info: Info, global_ids: Sequence[str]) -> list[Node | None]:
    """Every ID is decoded and permission-checked before any is loaded: a bad one fails the
    field before lookups start, none is left running past the end of the request."""
    if len(global_ids) > MAX_NODES:
        raise InputLimitError(f"At most {MAX_NODES} IDs per request")
    sources = [await _source(info, gid) for gid in global_ids]
    return list(await asyncio.gather(*(_load(info, found) for found in sources)))
