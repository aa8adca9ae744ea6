"""From a validated query operation to a plan: the tree of JSON objects its answer is
made of, each read from one row of a table, with a slot for every field whose SQL depends
on its arguments (connections, `node`, `nodes`).

Permissions are decided here, from the caller's permission set: a field the caller may
not read, a field only a resolver can answer (PHI, computed fields, guarded lists), a root
field that is not a connection or `node`/`nodes`: any of these and the operation is not
compilable, and the resolvers answer the whole of it (with the same errors as ever).
A plan is cached per document, operation, permission set and `@skip`/`@include` values.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    VariableNode,
    get_named_type,
)

from schema.compiler import sql
from schema.compiler.fields import Collector, SchemaIndex
from schema.compiler.sql import NotCompilable
from schema.entities import ENTITIES
from schema.filtering import FieldMatch
from schema.node import NODE_SOURCES


@dataclass
class Obj:
    """A JSON object built from the row its alias names."""

    alias: str
    parts: list[tuple[str, Part]]


@dataclass
class ToOnePart:
    key: str  # SQL: the target's primary key (the parent's key column, or a parameter)
    table: sa.Table
    obj: Obj


@dataclass
class SlotPart:
    index: int


Part = str | ToOnePart | SlotPart | Obj  # Obj: a root object from the caller (`me`)


@dataclass
class ConnectionSlot:
    """A connection field: its SQL depends on the page, order and filter it is asked for."""

    spec: Any  # ConnectionSpec
    gfield: GraphQLField
    node: FieldNode
    alias: str  # the listed rows
    count_alias: str
    parent_alias: str | None
    items: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)


@dataclass
class NodeSlot:
    """`node(id:)` or `nodes(ids:)`: a branch per node type the caller may read."""

    many: bool
    gfield: GraphQLField
    node: FieldNode
    alias: str
    branches: dict[str, tuple[sa.Table, Obj]]
    denied: frozenset[str]


Slot = ConnectionSlot | NodeSlot


@dataclass
class Plan:
    root: list[tuple[str, Part]]
    slots: list[Slot]
    variants: dict[tuple[Any, ...], str] = field(default_factory=dict)
    fused: dict[tuple[Any, ...], str] = field(default_factory=dict)  # with the principal lookup
    static: bool = False  # no slot's arguments read a variable: bound once, for every request
    fused_only: bool = False  # reads the principal lookup's row (`me`): run fused, or resolved
    bound: Any = None  # (shapes, parameters, counts) of a static plan, once bound


class PlanCompiler:
    def __init__(
        self,
        index: SchemaIndex,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        permissions: frozenset[str],
    ) -> None:
        self.index = index
        self.schema: GraphQLSchema = index.schema
        self.collector = Collector(index.schema, fragments, variables)
        self.permissions = permissions
        self.slots: list[Slot] = []
        self.fused_only = False
        self._numbers = itertools.count()

    def _alias(self, prefix: str) -> str:
        return f"{prefix}{next(self._numbers)}"

    def _allowed(self, permission: str | None, where: str) -> None:
        if permission is not None and permission not in self.permissions:
            raise NotCompilable(f"{where} needs {permission}, which the caller lacks (an error to answer)")

    def operation(self, operation: OperationDefinitionNode) -> Plan:
        query = self.schema.query_type
        assert query is not None
        parts: list[tuple[str, Part]] = []
        for key, nodes in self.collector.collect([operation.selection_set], query).items():
            name = nodes[0].name.value
            if name == "__typename":
                parts.append((key, sql.literal(query.name)))
            elif name in ("node", "nodes"):
                parts.append((key, self._node_slot(query.fields[name], nodes, many=name == "nodes")))
            elif (only := _by_id_of(query.fields.get(name))) is not None:
                parts.append((key, self._node_slot(query.fields[name], nodes, many=False, only=only)))
            elif (caller := _caller_of(query.fields.get(name))) is not None:
                parts.append((key, self._from_caller(caller, query.fields[name], nodes)))
                self.fused_only = True
            else:
                gfield = query.fields.get(name)
                relation = _relation_of(gfield)
                if relation is None or getattr(relation, "parent", "") is not None:
                    raise NotCompilable(f"Query.{name} has a resolver of its own")
                parts.append((key, self._connection(relation, gfield, nodes, None, f"Query.{name}")))  # type: ignore[arg-type]
        static = not any(_reads_variables(slot.node) or _custom_where(slot) for slot in self.slots)
        return Plan(parts, self.slots, static=static, fused_only=self.fused_only)

    def _from_caller(self, caller: Any, gfield: GraphQLField, nodes: list[FieldNode]) -> Obj:
        """A root object built from the principal lookup's row `p` (see CallerRoot)."""
        gtype = get_named_type(gfield.type)
        assert isinstance(gtype, GraphQLObjectType)
        parts: list[tuple[str, Part]] = []
        for key, sub in self.collector.subfields(nodes, gtype).items():
            name = sub[0].name.value
            python_name = "" if name == "__typename" else _python_name(gtype.fields[name])
            if name == "__typename":
                parts.append((key, sql.literal(gtype.name)))
            elif python_name in caller.values:
                parts.append((key, caller.values[python_name]))
            elif python_name in caller.objects:
                target = get_named_type(gtype.fields[name].type)
                assert isinstance(target, GraphQLObjectType)
                inner = self._alias("t")
                obj = self._object(target, sub, inner)
                table = ENTITIES[target.name].table
                parts.append((key, ToOnePart(caller.objects[python_name], table, obj)))
            else:
                raise NotCompilable(f"{gtype.name}.{name} is not declared for compiled reads")
        return Obj("p", parts)

    def _object(self, gtype: GraphQLObjectType, nodes: list[FieldNode], alias: str) -> Obj:
        fields = self.index.fields_of(gtype.name)
        parts: list[tuple[str, Part]] = []
        for key, sub in self.collector.subfields(nodes, gtype).items():
            name = sub[0].name.value
            where = f"{gtype.name}.{name}"
            if name == "__typename":
                parts.append((key, sql.literal(gtype.name)))
                continue
            entry = fields[name]
            if entry.kind == "value":
                assert entry.value is not None
                parts.append((key, entry.value(alias)))
            elif entry.kind == "to_one":
                relation = entry.relation
                assert relation is not None and relation.target is not None
                self._allowed(relation.requires, where)
                target = self.schema.type_map[relation.target.type_name]
                assert isinstance(target, GraphQLObjectType)
                inner = self._alias("t")
                obj = self._object(target, sub, inner)
                key_sql = sql.column(alias, relation.column)
                parts.append((key, ToOnePart(key_sql, relation.target.table, obj)))
            elif entry.kind == "connection":
                parts.append((key, self._connection(entry.connection, gtype.fields[name], sub, alias, where)))
            else:
                raise NotCompilable(entry.reason)
        return Obj(alias, parts)

    def _connection(
        self, spec: Any, gfield: GraphQLField, nodes: list[FieldNode], parent: str | None, where: str
    ) -> SlotPart:
        if spec.guard is not None:
            raise NotCompilable(f"{where} is guarded by a check of its own")
        self._allowed(spec.requires, where)
        slot = ConnectionSlot(spec, gfield, nodes[0], self._alias("t"), self._alias("c"), parent)
        index = len(self.slots)
        self.slots.append(slot)
        connection_type = get_named_type(gfield.type)
        assert isinstance(connection_type, GraphQLObjectType)
        target = self.schema.type_map[spec.target.type_name]
        assert isinstance(target, GraphQLObjectType)
        for key, sub in self.collector.subfields(nodes, connection_type).items():
            name = sub[0].name.value
            if name == "__typename":
                slot.items.append((key, ("const", sql.literal(connection_type.name))))
            elif name == "totalCount":
                slot.items.append((key, ("total",)))
            elif name == "nodes":
                slot.items.append((key, ("nodes", self._object(target, sub, slot.alias))))
            elif name in ("edges", "pageInfo"):
                inner = get_named_type(connection_type.fields[name].type)
                assert isinstance(inner, GraphQLObjectType)
                slot.items.append((key, (name, self._members(inner, sub, target, slot.alias))))
            else:
                raise NotCompilable(f"{connection_type.name}.{name} is not a connection field")
        return SlotPart(index)

    def _members(
        self, gtype: GraphQLObjectType, nodes: list[FieldNode], target: GraphQLObjectType, alias: str
    ) -> list[tuple[str, tuple[Any, ...]]]:
        """The fields of an edge (cursor, node) or of the page info."""
        members: list[tuple[str, tuple[Any, ...]]] = []
        for key, sub in self.collector.subfields(nodes, gtype).items():
            name = sub[0].name.value
            if name == "__typename":
                members.append((key, ("const", sql.literal(gtype.name))))
            elif name == "node":
                members.append((key, ("node", self._object(target, sub, alias))))
            else:
                members.append((key, (name,)))  # cursor, hasNextPage, startCursor, ...
        return members

    def _node_slot(
        self, gfield: GraphQLField, nodes: list[FieldNode], many: bool, only: str | None = None
    ) -> SlotPart:
        """`only`: a root field of one type (`schema.node.by_id`), one branch."""
        index = len(self.slots)
        branches: dict[str, tuple[sa.Table, Obj]] = {}
        denied = set()
        slot = NodeSlot(many, gfield, nodes[0], self._alias("n"), branches, frozenset())
        self.slots.append(slot)
        for type_name, source in NODE_SOURCES.items():
            if only is not None and type_name != only:
                continue
            if source.permission not in self.permissions:
                denied.add(type_name)  # an ID of this type answers an error: the resolvers'
                continue
            gtype = self.schema.type_map.get(type_name)
            if not isinstance(gtype, GraphQLObjectType):
                continue
            alias = self._alias("t")
            branches[type_name] = (source.table, self._object(gtype, nodes, alias))
        slot.denied = frozenset(denied)
        return SlotPart(index)


def _custom_where(slot: Slot) -> bool:
    """A list filtered by a function of its own, asked with a `filter`: its conditions are
    read per request. Without one they are `where(ctx, None)`, the same for every request
    (a `Listing`'s contract), so the plan may still be bound once."""
    if not isinstance(slot, ConnectionSlot):
        return False
    where = slot.spec.listing.where
    if where is None or isinstance(where, FieldMatch):
        return False
    return any(argument.name.value == "filter" for argument in slot.node.arguments or ())


def _reads_variables(node: FieldNode) -> bool:
    stack: list[Any] = [argument.value for argument in node.arguments or ()]
    while stack:
        value = stack.pop()
        if isinstance(value, VariableNode):
            return True
        stack.extend(getattr(value, "values", None) or ())  # lists
        stack.extend(f.value for f in getattr(value, "fields", None) or ())  # input objects
    return False


def _python_name(gfield: GraphQLField) -> str:
    return str(gfield.extensions["strawberry-definition"].python_name)


def _caller_of(gfield: GraphQLField | None) -> Any:
    if gfield is None:
        return None
    resolver = getattr(gfield.extensions.get("strawberry-definition"), "base_resolver", None)
    return getattr(getattr(resolver, "wrapped_func", None), "__caller__", None)


def _by_id_of(gfield: GraphQLField | None) -> str | None:
    if gfield is None:
        return None
    resolver = getattr(gfield.extensions.get("strawberry-definition"), "base_resolver", None)
    return getattr(getattr(resolver, "wrapped_func", None), "__by_id__", None)


def _relation_of(gfield: GraphQLField | None) -> Any:
    if gfield is None:
        return None
    definition = gfield.extensions.get("strawberry-definition")
    resolver = getattr(definition, "base_resolver", None)
    return getattr(getattr(resolver, "wrapped_func", None), "__relation__", None)
