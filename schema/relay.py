"""Relay building blocks: global IDs, the Node interface and cursor connections.

Global IDs are base64url("TypeName:uuid"). Types compute their `id` once when
built from a row, so resolving `id` is a plain attribute read.

Every `ID` the schema takes is a global ID, so the `ID` scalar itself refuses a
malformed one while arguments and variables are coerced: `node(id: "")` is a
request error (400 under application/graphql-response+json) that never executes,
like any other value of the wrong type. Whether a well-formed ID names the right
type, and an object the caller may see, is still the resolver's business.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError, GraphQLID, GraphQLScalarType, StringValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition

from app.errors import InvalidIdError

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


_TYPE_NAME = re.compile(r"[A-Z][A-Za-z0-9]{0,63}")
MAX_ID_LENGTH = 200


def _invalid_id(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "INVALID_ID"})


def _coerce_global_id(value: object) -> str:
    """The `ID` scalar's input coercion: a well-formed global ID, or a request error."""
    if not isinstance(value, str):
        raise _invalid_id("IDs are strings (global IDs as this API returns them)")
    if len(value) > MAX_ID_LENGTH:
        raise _invalid_id(f"Invalid ID: longer than {MAX_ID_LENGTH} characters")
    try:
        type_name, _ = from_global_id(value)
    except InvalidIdError as exc:
        raise _invalid_id(exc.message) from None
    if not _TYPE_NAME.fullmatch(type_name):
        raise _invalid_id(f"Invalid ID: {value[:80]!r}")
    return value


def _coerce_global_id_literal(node: ValueNode, _variables: object = None) -> str:
    try:
        if not isinstance(node, StringValueNode):
            raise _invalid_id("IDs are strings (global IDs as this API returns them)")
        return _coerce_global_id(node.value)
    except GraphQLError as exc:
        raise GraphQLError(exc.message, node, extensions=exc.extensions) from None


class _GlobalIDType(GraphQLScalarType):
    # graphql-core reserves the name `ID` for its own scalar; this one keeps the name
    # (Relay's `id: ID!`, an unchanged SDL) and only tightens what input it accepts.
    reserved_types = {}  # noqa: RUF012


GLOBAL_ID_SCALAR = ScalarDefinition(
    name="ID",
    description=GraphQLID.description,
    specified_by_url=None,
    serialize=GraphQLID.serialize,
    parse_value=_coerce_global_id,
    parse_literal=_coerce_global_id_literal,
    implementation=_GlobalIDType(
        name="ID",
        description=GraphQLID.description,
        serialize=GraphQLID.serialize,
        parse_value=_coerce_global_id,
        parse_literal=_coerce_global_id_literal,
    ),
)
"""Pass as `scalar_overrides={strawberry.ID: GLOBAL_ID_SCALAR}` when building the schema."""


def decode_id(global_id: str, expected: str | Sequence[str]) -> uuid.UUID | None:
    """Like from_global_id, but returns None instead of raising: for input validation."""
    try:
        return from_global_id(global_id, expected)[1]
    except InvalidIdError:
        return None


@strawberry.interface(description="An object with a globally unique ID (Relay).")
class Node:
    id: strawberry.ID
    row: strawberry.Private[Any]  # the database row it was built from

    @classmethod
    def from_row(cls, row: Any) -> Any:
        """Set by `@entity` (schema/entities.py) from the type's declaration."""
        raise NotImplementedError(f"{cls.__name__} is not declared with @entity")


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
