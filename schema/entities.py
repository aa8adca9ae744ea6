"""Entity declarations: one per GraphQL object type, read by every path that builds it.

A module declares each object type once, as a Strawberry type decorated with
`@entity(table, ...)`:

    @entity(m.facilities, node="tenancy.read", listing=FACILITIES)
    @strawberry.type
    class Facility(Node):
        name: str                     # column `name`
        type: FacilityType            # column `type`, converted to the enum
        organization: Organization | None = to_one("organization_id")
        patients: Connection[Patient] = connection(PATIENTS, parent="facility_id")

What the declaration gives:
- the row -> object mapping: a plain field reads the column of its name (or the one
  `columns` names: a rename, `global_id_of`, `derived`), enums are converted from
  their stored value, and a field with no column fails at import;
- the Relay node registration (`node=` is the permission a reader needs);
- relations: `to_one(column)` (this row holds the key) and `connection(listing, parent=)`
  (the other table holds it), with the permission each needs.

A compiler reads the same `EntitySpec` to turn a selection into SQL: `table`, the
column behind each plain field (`columns`), each relation's key column and target
(`relations`), each connection's parent column and listing (`connections`: table, sort
columns, filter and default order); fields it finds in none of these (`computed`) are
resolved by their resolvers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

import sqlalchemy as sa
import strawberry
from strawberry.types import Info
from strawberry.types.base import StrawberryOptional
from strawberry.types.lazy_type import LazyType
from strawberry.types.private import is_private

from schema.lists import load_row
from schema.relay import to_global_id

T = TypeVar("T")


class EntityError(TypeError):
    """A declaration that cannot work (a field without a column, say): raised at import."""


@dataclass(frozen=True)
class GlobalIdOf:
    """A field holding the global ID of the row a key column points to: of a fixed type,
    or of the type another column names (`type_column`)."""

    type_name: str | None
    column: str
    type_column: str | None = None


@dataclass(frozen=True)
class Derived:
    """A field computed from some columns of the row (without I/O)."""

    compute: Callable[[Any], Any]
    columns: tuple[str, ...]


def global_id_of(
    type_name: str | None = None, column: str = "", *, type_column: str | None = None
) -> GlobalIdOf:
    if (type_name is None) == (type_column is None) or not column:
        raise EntityError("global_id_of needs a column and either a type name or a type column")
    return GlobalIdOf(type_name, column, type_column)


def derived(compute: Callable[[Any], Any], *columns: str) -> Derived:
    return Derived(compute, columns)


Source = str | GlobalIdOf | Derived


@dataclass
class ToOne:
    """A relation this row holds the key of: `column` -> the target's primary key."""

    column: str
    requires: str | None = None
    target: EntitySpec | None = None  # bound when the schema is built


@dataclass
class EntitySpec:
    type_name: str
    cls: type
    table: sa.Table
    node_permission: str | None
    columns: dict[str, Source]
    relations: dict[str, ToOne] = field(default_factory=dict)
    connections: dict[str, Any] = field(default_factory=dict)  # field name -> ConnectionSpec
    computed: tuple[str, ...] = ()
    listing: Any = None
    from_row: Callable[[Any], Any] = lambda row: None


@dataclass(frozen=True)
class CallerRoot:
    """A root field answered from the caller's principal lookup (`me`), for compiled reads:
    `values` maps fields to SQL over `p`, the lookup's row in the statement that fuses it
    with the read, and `objects` maps fields holding an entity to the SQL of its key (`$1`
    is the caller's tenant, `$2` the user). A plan with such a field is only run fused."""

    values: Mapping[str, str]
    objects: Mapping[str, str]


def from_caller(resolver: Callable[..., Any], **declaration: Mapping[str, str]) -> Callable[..., Any]:
    """Declare how a root field's resolver can be compiled from the caller (see CallerRoot)."""
    resolver.__caller__ = CallerRoot(declaration["values"], declaration["objects"])  # type: ignore[attr-defined]
    return resolver


ENTITIES: dict[str, EntitySpec] = {}
"""Every declared entity by GraphQL type name (filled as modules are imported)."""


def spec_of(cls: type) -> EntitySpec:
    spec = cls.__dict__.get("__entity__")
    if spec is None:
        raise EntityError(f"{cls.__name__} is not declared with @entity")
    return spec  # type: ignore[no-any-return]


def _enum_of(field_type: Any) -> type[Enum] | None:
    if isinstance(field_type, StrawberryOptional):
        field_type = field_type.of_type
    if isinstance(field_type, type) and issubclass(field_type, Enum):
        return field_type
    return None


def _check_columns(cls: type, table: sa.Table, name: str, columns: tuple[str, ...]) -> None:
    for column in columns:
        if column not in table.c:
            raise EntityError(f"{cls.__name__}.{name}: table {table.name} has no column {column!r}")


def _row_builder(cls: type, type_name: str, node: bool, plan: list[tuple[str, Source, Any]]) -> Callable:
    """Row -> object without __init__: the values go straight into the instance's dict
    (it is built per row on hot read paths)."""
    copied = [(name, source) for name, source, convert in plan if isinstance(source, str) and convert is None]
    converted = [
        (name, source, convert) for name, source, convert in plan if isinstance(source, str) and convert
    ]
    others = [(name, source) for name, source, _ in plan if not isinstance(source, str)]

    def from_row(row: Any) -> Any:
        values = row._mapping
        obj: Any = object.__new__(cls)
        state = obj.__dict__
        state["row"] = row
        if node:
            state["id"] = to_global_id(type_name, row.id)
        for name, column in copied:
            state[name] = values[column]
        for name, column, convert in converted:
            value = values[column]
            state[name] = None if value is None else convert(value)
        for name, source in others:
            if isinstance(source, GlobalIdOf):
                value = values[source.column]
                kind = values[source.type_column] if source.type_column else source.type_name
                state[name] = None if value is None else to_global_id(str(kind), value)
            else:
                state[name] = source.compute(row)
        return obj

    return from_row


def entity(
    table: sa.Table,
    *,
    node: str | None = None,
    columns: Mapping[str, Source] | None = None,
    listing: Any = None,
) -> Callable[[type[T]], type[T]]:
    """Declare a Strawberry type as an entity read from `table` (see the module docstring).

    `node` is the permission that reading it through `node(id:)` needs (omit for types
    that are not Relay nodes); `columns` maps fields whose column has another name;
    `listing` is how lists of it are filtered and sorted.
    """

    def declare(cls: type[T]) -> type[T]:
        definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
        type_name = definition.name
        renames = dict(columns or {})
        plan: list[tuple[str, Source, Any]] = []
        spec = EntitySpec(type_name, cls, table, node, {}, listing=listing)
        computed = []
        for f in definition.fields:
            name = f.python_name
            resolver = f.base_resolver
            if resolver is not None:
                kind = getattr(resolver.wrapped_func, "__relation__", None)
                if isinstance(kind, ToOne):
                    _check_columns(cls, table, name, (kind.column,))
                    spec.relations[name] = kind
                elif kind is not None:
                    spec.connections[name] = kind
                else:
                    computed.append(name)
                continue
            if (name == "id" and node is not None) or is_private(f.type):
                continue
            source = renames.pop(name, name)
            if isinstance(source, str):
                _check_columns(cls, table, name, (source,))
                plan.append((name, source, _enum_of(f.type)))
            else:
                needed = (
                    (source.column, *filter(None, [source.type_column]))
                    if isinstance(source, GlobalIdOf)
                    else source.columns
                )
                _check_columns(cls, table, name, needed)
                plan.append((name, source, None))
            spec.columns[name] = source
        if renames:
            raise EntityError(f"{cls.__name__}: `columns` names fields it does not have: {sorted(renames)}")
        spec.computed = tuple(computed)
        spec.from_row = _row_builder(cls, type_name, node is not None, plan)
        cls.from_row = staticmethod(spec.from_row)  # type: ignore[attr-defined]
        cls.__entity__ = spec  # type: ignore[attr-defined]
        ENTITIES[type_name] = spec
        return cls

    return declare


def to_one(column: str, *, requires: str | None = None, description: str | None = None) -> Any:
    """A relation to the row whose primary key this row holds in `column` (null when it is
    null or not visible), loaded in one batch per request. `requires`: the permission a
    reader needs, checked only when there is a row to load."""
    relation = ToOne(column, requires)

    async def resolve(self: Any, info: Info) -> Any:
        key = getattr(self.row, column)
        if key is None:
            return None
        if requires is not None:
            await info.context.require(requires)
        target = relation.target or _bind(relation, info.return_type)
        row = await load_row(info.context, target.table, key)
        return target.from_row(row) if row is not None else None

    resolve.__relation__ = relation  # type: ignore[attr-defined]
    return strawberry.field(resolver=resolve, description=description)


def _bind(relation: ToOne, field_type: Any) -> EntitySpec:
    if isinstance(field_type, StrawberryOptional):
        field_type = field_type.of_type
    if isinstance(field_type, LazyType):
        field_type = field_type.resolve_type()
    if not isinstance(field_type, type) or "__entity__" not in field_type.__dict__:
        raise EntityError(f"{field_type} is not an entity: a to_one field must name one")
    relation.target = spec_of(field_type)
    return relation.target


def bind_relations(classes: Iterable[type]) -> None:
    """Bind every relation and connection field of these types (entities and root types)
    to its target entity when the schema is built, so a declaration that names no entity
    fails at startup rather than on a request."""
    for cls in classes:
        for f in cls.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            relation = (
                getattr(f.base_resolver.wrapped_func, "__relation__", None) if f.base_resolver else None
            )
            if isinstance(relation, ToOne):
                _bind(relation, f.type)
            elif relation is not None:
                relation.bind(f.type)


__all__ = [
    "ENTITIES",
    "CallerRoot",
    "EntityError",
    "EntitySpec",
    "bind_relations",
    "derived",
    "entity",
    "from_caller",
    "global_id_of",
    "spec_of",
    "to_one",
]
