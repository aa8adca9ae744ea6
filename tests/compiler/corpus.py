"""A seeded generator of random valid queries over the schema, for the differential test.

It walks the GraphQL schema itself (so later modules' types join the corpus without a
change here): random root fields, random subsets of each type's fields in random order,
aliases, named and inline fragments (on `node`/`nodes` too), `@skip`/`@include` with
literals and variables, nested connections with random pages (`first`/`last`, cursors
that decode, cursors that do not), filters, orders, `edges`/`nodes`/`pageInfo`/
`totalCount`, and IDs of rows that exist, of the other tenant's rows and of none.

PHI fields are left out: reading them writes the PHI access log, which other queries of
the corpus read, so the second path would see a log the first one wrote.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
)

from schema.pagination import encode_cursor

WORDS = ["a", "Ri", "lake", "MAIN", "%", "_", "\\", "zz", "o'", "Main", "e"]
MAX_DEPTH = 4


def _unwrap(t: Any) -> Any:
    return t.of_type if isinstance(t, GraphQLNonNull) else t


@dataclass
class Query:
    text: str
    variables: dict[str, Any]


@dataclass
class Build:
    """One query under construction: its variables and named fragments."""

    variables: dict[str, tuple[str, Any]] = field(default_factory=dict)  # name -> (type, value)
    fragments: list[str] = field(default_factory=list)
    aliases: int = 0

    def variable(self, type_name: str, value: Any) -> str:
        name = f"v{len(self.variables)}"
        self.variables[name] = (type_name, value)
        return f"${name}"


class Corpus:
    def __init__(self, schema: GraphQLSchema, ids: list[str], seed: int) -> None:
        self.schema = schema
        self.ids = ids  # global IDs: this tenant's, the other tenant's, and of nothing
        self.rng = random.Random(seed)

    def queries(self, count: int) -> list[Query]:
        return [self.query() for _ in range(count)]

    def query(self) -> Query:
        build = Build()
        query_type = self.schema.query_type
        assert query_type is not None
        names = [n for n in query_type.fields if not n.startswith("__")]
        # Lists and node lookups (what the compiler serves) three times as often as the rest.
        weights = [
            3
            if n in ("node", "nodes") or get_named_type(query_type.fields[n].type).name.endswith("Connection")
            else 1
            for n in names
        ]
        chosen = list(dict.fromkeys(self.rng.choices(names, weights, k=self.rng.choice([1, 1, 1, 2, 3]))))
        if self.rng.random() < 0.1:
            chosen.append("__typename")
        body = " ".join(self._root(build, query_type, name) for name in chosen)
        declared = ", ".join(f"${n}: {t}" for n, (t, _) in build.variables.items())
        header = f"query Q({declared})" if declared else "query Q"
        text = " ".join([header, "{", body, "}", *build.fragments])
        return Query(text, {n: v for n, (_, v) in build.variables.items()})

    # --- fields --------------------------------------------------------------------------

    def _root(self, build: Build, parent: GraphQLObjectType, name: str) -> str:
        if name == "__typename":
            return name
        gfield = parent.fields[name]
        named = get_named_type(gfield.type)
        if name in ("node", "nodes"):
            ids = self.rng.sample(self.ids, k=min(len(self.ids), self.rng.randint(1, 4)))
            arguments = f"(id: {self._id_value(build, ids[0])})" if name == "node" else f"(ids: {_list(ids)})"
            return self._alias(build, name) + arguments + self._selection(build, named, 1)
        return self._field(build, name, gfield, 0)

    def _field(self, build: Build, name: str, gfield: GraphQLField, depth: int) -> str:
        named = get_named_type(gfield.type)
        text = self._alias(build, name) + self._arguments(build, gfield, depth) + self._directive(build)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            text += self._selection(build, named, depth + 1)
        return text

    def _selection(self, build: Build, named: Any, depth: int) -> str:
        if named.name.endswith("Connection"):
            return self._connection(build, named, depth)
        if isinstance(named, GraphQLInterfaceType):
            return self._interface(build, named, depth)
        return "{ " + self._fields(build, named, depth) + " }"

    def _fields(
        self, build: Build, gtype: GraphQLObjectType, depth: int, taken: set[str] | None = None
    ) -> str:
        """Some fields of the type; `taken`: names used by a sibling fragment on another
        type (the same name with another type there would not merge)."""
        candidates = [
            n
            for n, f in gtype.fields.items()
            if "PHI" not in (f.description or "")
            and n not in (taken or ())
            and (depth < MAX_DEPTH or not isinstance(get_named_type(f.type), GraphQLObjectType))
        ]
        if not candidates:
            return "__typename"
        picked = self.rng.sample(candidates, k=self.rng.randint(1, min(5, len(candidates))))
        if taken is not None:
            taken.update(picked)
        if self.rng.random() < 0.15:
            picked.append("__typename")
        parts = [self._field(build, n, gtype.fields[n], depth) if n != "__typename" else n for n in picked]
        if self.rng.random() < 0.15:  # some of them through a fragment of this type
            fragment = f"F{len(build.fragments)}"
            build.fragments.append(f"fragment {fragment} on {gtype.name} {{ {parts.pop()} }}")
            parts.append(f"...{fragment}")
        if self.rng.random() < 0.1 and parts:
            parts.append(f"... on {gtype.name} {{ {parts[0]} }}")  # repeated: fields merge
        return " ".join(parts)

    def _interface(self, build: Build, interface: GraphQLInterfaceType, depth: int) -> str:
        parts = ["id"] if self.rng.random() < 0.7 else ["__typename"]
        types = list(self.schema.get_possible_types(interface))
        taken: set[str] = {"id"}
        for gtype in self.rng.sample(types, k=self.rng.randint(0, 3)):
            parts.append(f"... on {gtype.name} {{ {self._fields(build, gtype, depth, taken)} }}")
        return "{ " + " ".join(parts) + " }"

    def _connection(self, build: Build, connection: GraphQLObjectType, depth: int) -> str:
        node_type = get_named_type(connection.fields["nodes"].type)
        parts = []
        for name in self.rng.sample(
            ["totalCount", "edges", "nodes", "pageInfo", "__typename"], k=self.rng.randint(1, 3)
        ):
            if name == "edges":
                edge = ["cursor"] if self.rng.random() < 0.5 else []
                if depth < MAX_DEPTH or not edge:
                    edge.append("node " + self._selection(build, node_type, depth + 1))
                parts.append(
                    self._alias(build, "edges") + "{ " + " ".join(self.rng.sample(edge, k=len(edge))) + " }"
                )
            elif name == "nodes":
                parts.append(self._alias(build, "nodes") + self._selection(build, node_type, depth + 1))
            elif name == "pageInfo":
                info = ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"]
                parts.append("pageInfo { " + " ".join(self.rng.sample(info, k=self.rng.randint(1, 5))) + " }")
            else:
                parts.append(name)
        return "{ " + " ".join(parts) + " }"

    # --- arguments and values ----------------------------------------------------------------

    def _arguments(self, build: Build, gfield: GraphQLField, depth: int) -> str:
        if not gfield.args or self.rng.random() < 0.25:
            return ""
        given: list[str] = []
        args = gfield.args
        order_field = "name"
        if "orderBy" in args and self.rng.random() < 0.5:
            order_type = _unwrap(args["orderBy"].type)
            field_enum = _unwrap(order_type.fields["field"].type)
            order_field = self.rng.choice(list(field_enum.values))
            direction = self.rng.choice(["ASC", "DESC"])
            given.append(f"orderBy: {{ field: {order_field}, direction: {direction} }}")
            order_field = order_field.lower()
        elif "orderBy" in args:
            order_field = ""  # the list's default order: a cursor may or may not decode
        if ("first" in args or "last" in args) and self.rng.random() < 0.9:
            size = self.rng.choice([0, 1, 2, 3, 5] if depth == 0 else [0, 1, 2])
            which = "last" if "last" in args and self.rng.random() < 0.3 else "first"
            value = str(size) if self.rng.random() < 0.7 else build.variable("Int", size)
            given.append(f"{which}: {value}")
            for cursor_arg in ("after", "before"):
                if cursor_arg in args and self.rng.random() < 0.25:
                    given.append(f"{cursor_arg}: {_string(self._cursor(order_field))}")
        if "filter" in args and self.rng.random() < 0.6:
            value = self._input(_unwrap(args["filter"].type))
            given.append(
                "filter: "
                + (value if self.rng.random() < 0.7 else self._as_variable(build, args["filter"], value))
            )
        for name in args:
            if name.endswith("Id") and self.rng.random() < 0.3:
                given.append(f"{name}: {_string(self.rng.choice(self.ids))}")
        return f"({', '.join(given)})" if given else ""

    def _as_variable(self, build: Build, argument: Any, literal: str) -> str:
        import json

        value = json.loads(_literal_to_json(literal))
        return build.variable(str(argument.type), value)

    def _input(self, input_type: GraphQLInputObjectType) -> str:
        names = list(input_type.fields)
        picked = self.rng.sample(names, k=self.rng.randint(0, min(3, len(names))))
        parts = []
        for name in picked:
            field_type = _unwrap(input_type.fields[name].type)
            value = self._value(field_type)
            if value is not None:
                parts.append(f"{name}: {value}")
        return "{ " + ", ".join(parts) + " }"

    def _value(self, t: Any) -> str | None:
        if isinstance(t, GraphQLList):
            inner = _unwrap(t.of_type)
            if isinstance(inner, GraphQLEnumType):
                picked = self.rng.sample(list(inner.values), k=self.rng.randint(0, 2))
                return "[" + ", ".join(picked) + "]"
            return None
        if isinstance(t, GraphQLEnumType):
            return self.rng.choice(list(t.values))
        if isinstance(t, GraphQLScalarType):
            if t.name == "Boolean":
                return self.rng.choice(["true", "false"])
            if t.name == "String":
                return _string(self.rng.choice(WORDS))
            if t.name == "ID":
                return _string(self.rng.choice(self.ids))
            if t.name == "DateTime":
                return _string("2020-01-01T00:00:00+00:00")
        return None

    def _cursor(self, order_field: str) -> str:
        roll = self.rng.random()
        if roll < 0.15:
            return "not-a-cursor"
        value: Any = self.rng.choice(WORDS)
        if order_field in ("created_at", "updated_at") or (order_field == "" and roll < 0.5):
            value = dt.datetime(2020 + self.rng.randint(0, 8), 1, 1, tzinfo=dt.UTC)
        return encode_cursor(value, uuid.UUID(int=self.rng.getrandbits(128)))

    def _id_value(self, build: Build, global_id: str) -> str:
        return build.variable("ID!", global_id) if self.rng.random() < 0.5 else _string(global_id)

    def _alias(self, build: Build, name: str) -> str:
        if build.aliases < 10 and self.rng.random() < 0.12:
            build.aliases += 1
            return f"a{build.aliases}: {name}"
        return name

    def _directive(self, build: Build) -> str:
        roll = self.rng.random()
        if roll < 0.05:
            return f" @skip(if: {self.rng.choice(['true', 'false'])})"
        if roll < 0.1:
            return f" @include(if: {build.variable('Boolean!', self.rng.random() < 0.5)})"
        return ""


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _list(ids: list[str]) -> str:
    return "[" + ", ".join(_string(i) for i in ids) + "]"


def _literal_to_json(literal: str) -> str:
    """A generated input literal ({ a: X, b: [Y] }) as JSON: enum names become strings."""
    import re

    quoted = re.sub(r'("(?:[^"\\]|\\.)*")|\b([A-Za-z_][A-Za-z0-9_]*)\b', _quote_token, literal)
    return quoted


def _quote_token(match: Any) -> str:
    if match.group(1):
        return str(match.group(1))
    word = match.group(2)
    return word if word in ("true", "false", "null") else f'"{word}"'
