"""What the compiler knows of the schema, and which fields a selection asks for.

`SchemaIndex` reads each entity declaration once (schema/entities.py) and says, for every
GraphQL field of an entity type, how it is answered: a column expression, a to-one
relation, a connection, or only by its resolver (PHI, computed fields, guarded lists).

`collect` merges a selection set for one concrete type as GraphQL execution does
(fragments, inline fragments, `@skip`/`@include`), keeping the first-seen order of
response keys, which is the order of the keys in the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    VariableNode,
)

from schema.compiler import sql
from schema.compiler.sql import NotCompilable
from schema.entities import ENTITIES, Derived, EntitySpec, GlobalIdOf, ToOne

Expression = Callable[[str], str]  # row alias -> SQL expression


@dataclass(frozen=True)
class EntityField:
    """How one field of an entity type is answered."""

    kind: str  # "value" | "to_one" | "connection" | "resolver"
    value: Expression | None = None
    relation: ToOne | None = None
    connection: Any = None  # ConnectionSpec
    reason: str = ""  # why only a resolver can answer it


def _unwrap(field_type: GraphQLOutputType) -> GraphQLOutputType:
    return field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type


def _scalar(name: str, col: sa.Column[Any]) -> Expression | None:
    """The expression for a column read as this scalar, as the scalar would serialize it."""
    kind = col.type.python_type
    if name == "String" and kind is str or name in ("Boolean", "Int", "JSON"):
        return lambda a: sql.column(a, col.name)
    if name in ("String", "ID", "Decimal", "UUID"):
        return lambda a: f"{sql.column(a, col.name)}::text"
    if name == "Float":
        return lambda a: f"{sql.column(a, col.name)}::float8"
    if name == "DateTime":
        return lambda a: sql.iso_timestamp(sql.column(a, col.name))
    if name == "Date":
        return lambda a: sql.iso_date(sql.column(a, col.name))
    return None


def _column_value(field_type: GraphQLOutputType, col: sa.Column[Any]) -> Expression | None:
    named = _unwrap(field_type)
    if isinstance(named, GraphQLList):  # an array column of plain scalars: a JSON array
        inner = _unwrap(named.of_type)
        plain = isinstance(inner, GraphQLScalarType) and inner.name in ("String", "Int", "Boolean")
        return (lambda a: sql.column(a, col.name)) if plain else None
    if isinstance(named, GraphQLEnumType):
        names = {_stored(value.value): name for name, value in named.values.items()}
        return lambda a: sql.enum_name(sql.column(a, col.name), names)
    if isinstance(named, GraphQLScalarType):
        return _scalar(named.name, col)
    return None


def _stored(value: Any) -> str:
    return str(getattr(value, "value", value))


def _value(spec: EntitySpec, source: Any, field_type: GraphQLOutputType) -> Expression | None:
    table = spec.table
    if isinstance(source, str):
        return _column_value(field_type, table.c[source])
    if isinstance(source, GlobalIdOf):
        pk, type_column = source.column, source.type_column
        if type_column is not None:
            return lambda a: sql.global_id(sql.column(a, type_column), sql.column(a, pk))
        name = sql.literal(source.type_name or "")
        return lambda a: sql.global_id(name, sql.column(a, pk))
    assert isinstance(source, Derived)
    return None  # Python computes it: a resolver's work


def _entity_fields(spec: EntitySpec, gtype: GraphQLObjectType) -> dict[str, EntityField]:
    fields: dict[str, EntityField] = {}
    type_name = sql.literal(spec.type_name)
    for name, gfield in gtype.fields.items():
        python_name = gfield.extensions["strawberry-definition"].python_name
        where = f"{spec.type_name}.{name}"
        if python_name == "id" and spec.node_permission is not None:
            fields[name] = EntityField("value", lambda a: sql.global_id(type_name, sql.column(a, "id")))
        elif python_name in spec.columns:
            value = _value(spec, spec.columns[python_name], gfield.type)
            fields[name] = (
                EntityField("value", value)
                if value is not None
                else EntityField("resolver", reason=f"{where} is computed in Python")
            )
        elif python_name in spec.relations:
            fields[name] = EntityField("to_one", relation=spec.relations[python_name])
        elif python_name in spec.connections:
            fields[name] = EntityField("connection", connection=spec.connections[python_name])
        else:
            fields[name] = EntityField("resolver", reason=f"{where} has a resolver of its own")
    return fields


class SchemaIndex:
    """Every entity type of one schema, field by field (built once, on first use)."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.entities: dict[str, dict[str, EntityField]] = {}
        for type_name, spec in ENTITIES.items():
            gtype = schema.type_map.get(type_name)
            if isinstance(gtype, GraphQLObjectType):  # declared, and in this schema
                self.entities[type_name] = _entity_fields(spec, gtype)

    def fields_of(self, type_name: str) -> dict[str, EntityField]:
        fields = self.entities.get(type_name)
        if fields is None:
            raise NotCompilable(f"{type_name} is not an entity")
        return fields


# --- field collection ------------------------------------------------------------------------


def _included(node: Any, variables: Mapping[str, Any]) -> bool:
    for directive in node.directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        value = directive.arguments[0].value if directive.arguments else None
        if isinstance(value, VariableNode):
            flag = bool(variables.get(value.name.value))
        else:
            flag = isinstance(value, BooleanValueNode) and value.value
        if flag == (name == "skip"):
            return False
    return True


class Collector:
    """Field collection over one operation's fragments and variables."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def _applies(self, condition: Any, runtime: GraphQLObjectType) -> bool:
        if condition is None or condition.name.value == runtime.name:
            return True
        named = self.schema.type_map.get(condition.name.value)
        return (
            named is not None
            and not isinstance(named, GraphQLObjectType)
            and (
                self.schema.is_sub_type(named, runtime)  # type: ignore[arg-type]
            )
        )

    def collect(
        self, selection_sets: Iterable[SelectionSetNode | None], runtime: GraphQLObjectType
    ) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()

        def visit(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if not _included(selection, self.variables):
                    continue
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    fields.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if self._applies(selection.type_condition, runtime):
                        visit(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if name in visited or fragment is None:
                        continue
                    if self._applies(fragment.type_condition, runtime):
                        visited.add(name)
                        visit(fragment.selection_set)

        for selection_set in selection_sets:
            if selection_set is not None:
                visit(selection_set)
        return fields

    def subfields(self, nodes: list[FieldNode], runtime: GraphQLObjectType) -> dict[str, list[FieldNode]]:
        return self.collect((node.selection_set for node in nodes), runtime)


def directive_variables(document: Any) -> tuple[str, ...]:
    """The variables `@skip`/`@include` read anywhere in a document: their values shape
    the plan, so they are part of its cache key."""
    found: set[str] = set()
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        for directive in getattr(node, "directives", None) or ():
            if directive.name.value in ("skip", "include"):
                for argument in directive.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        found.add(argument.value.name.value)
        for key in ("definitions", "selection_set", "selections"):
            child = getattr(node, key, None)
            if isinstance(child, tuple | list):
                stack.extend(child)
            elif child is not None:
                stack.append(child)
    return tuple(sorted(found))
