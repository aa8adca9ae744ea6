"""Relay building blocks: global IDs, the Node interface and cursor connections.

Global IDs are base64url("TypeName:uuid"). Types compute their `id` once when
built from a row, so resolving `id` is a plain attribute read.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import strawberry

from schema.errors import InvalidIdError

T = TypeVar("T")


def to_global_id(type_name: str, pk: uuid.UUID) -> strawberry.ID:
    raw = f"{type_name}:{pk}".encode()
    return strawberry.ID(base64.urlsafe_b64encode(raw).decode().rstrip("="))


def from_global_id(global_id: str, expected: str | Sequence[str] | None = None) -> tuple[str, uuid.UUID]:
    """Decode a global ID; raise InvalidIdError for anything malformed or of the wrong type."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, raw_pk = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        pk = uuid.UUID(raw_pk)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidIdError(f"Invalid ID: {global_id[:80]!r}") from exc
    if isinstance(expected, str):
        expected = (expected,)
    if expected is not None and type_name not in expected:
        raise InvalidIdError(f"Expected an ID of type {' or '.join(expected)}")
    return type_name, pk


def decode_id(global_id: str, expected: str | Sequence[str]) -> uuid.UUID | None:
    """Like from_global_id, but returns None instead of raising: for input validation."""
    try:
        return from_global_id(global_id, expected)[1]
    except InvalidIdError:
        return None


@strawberry.interface(description="An object with a globally unique ID (Relay).")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    count_total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Number of items matching the filter, across all pages.")
    async def total_count(self) -> int:
        return await self.count_total()

    @strawberry.field(description="The nodes of this page, without cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]
