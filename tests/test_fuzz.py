"""Schema-driven fuzzing: every Mutation and Query field, called with odd but well-typed
arguments, answers with data or clear errors, never an internal error."""

from __future__ import annotations

import random
import uuid

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)

from app.settings import get_settings
from medgraph.schema import build_schema
from schema.relay import to_global_id

SCHEMA = build_schema(get_settings())._schema
TYPES = [
    "Organization",
    "Facility",
    "Provider",
    "Patient",
    "User",
    "Role",
    "Membership",
    "Address",
    "ProviderAssignment",
    "Tenant",
    "AuditEntry",
    "PhiAccessEntry",
    "Manufacturer",
    "ManufacturerContact",
    "ProductCategory",
    "Specialty",
    "ProductSpecialty",
    "Product",
    "ProductSize",
    "InventoryLocation",
    "InventoryLevel",
    "StockMovement",
    "Order",
    "OrderItem",
    "OrderStatusChange",
    "Shipment",
    "OrderCheck",
    "SalesRep",
    "FailedJob",
    "Nope",
]
STRINGS = [
    "",
    " ",
    "a",
    "x" * 300,
    "Ünïcødé ☃",
    "'; DROP TABLE users; --",
    "%_\\",
    "a@b.co",
    "1234567893",
    "UTC",
    "America/New_York",
    "12-3456789",
    "+1 555 0100",
    "MRN-1000",
    "viewer",
    "tenancy.read",
]


def _value(rng: random.Random, gql_type, ids: list[str], depth: int = 0):  # type: ignore[no-untyped-def]
    nullable = not isinstance(gql_type, GraphQLNonNull)
    inner = gql_type.of_type if not nullable else gql_type
    if nullable and rng.random() < 0.15:
        return None
    if isinstance(inner, GraphQLList):
        return [_value(rng, inner.of_type, ids, depth + 1) for _ in range(rng.choice([0, 1, 2]))]
    if isinstance(inner, GraphQLEnumType):
        return rng.choice(list(inner.values))
    if isinstance(inner, GraphQLInputObjectType):
        out = {}
        for name, field in inner.fields.items():
            if isinstance(field.type, GraphQLNonNull) or rng.random() < 0.6:
                out[name] = _value(rng, field.type, ids, depth + 1)
        return out
    assert isinstance(inner, GraphQLScalarType)
    return {
        "String": lambda: rng.choice(STRINGS),
        "ID": lambda: rng.choice(
            [
                *ids,
                "",
                "garbage",
                "T3JnYW5pemF0aW9uOm5vdC1hLXV1aWQ",
                to_global_id(rng.choice(TYPES), uuid.uuid4()),
            ]
        ),
        "Int": lambda: rng.choice([0, 1, -1, 5, 100, 101, 2**31 - 1]),
        "Boolean": lambda: rng.choice([True, False]),
        "Date": lambda: rng.choice(["2020-02-29", "1899-12-31", "2999-01-01", "1980-06-15"]),
        "DateTime": lambda: rng.choice(["2020-01-01T00:00:00+00:00", "1970-01-01T00:00:00Z"]),
        "JSON": lambda: rng.choice([{}, [], "s", 1, {"a": {"b": [1, None]}}]),
        "Decimal": lambda: rng.choice(["0", "12.50", "-1", "1e3", "0.001", "99999999999.99", "NaN", "x"]),
    }[inner.name]()


def _selection(gql_type, depth: int = 0) -> str:  # type: ignore[no-untyped-def]
    while isinstance(gql_type, GraphQLNonNull | GraphQLList):
        gql_type = gql_type.of_type
    if not isinstance(gql_type, GraphQLObjectType):
        return ""
    fields = []
    for name, field in gql_type.fields.items():
        inner = field.type
        while isinstance(inner, GraphQLNonNull | GraphQLList):
            inner = inner.of_type
        if isinstance(inner, GraphQLObjectType):
            if depth < 1 and not any(isinstance(a.type, GraphQLNonNull) for a in field.args.values()):
                fields.append(f"{name} {_selection(inner, depth + 1)}")
        elif not any(isinstance(a.type, GraphQLNonNull) for a in field.args.values()):
            fields.append(name)
    return "{ " + " ".join(fields or ["__typename"]) + " }"


def _document(kind: str, name: str) -> str:
    root = SCHEMA.mutation_type if kind == "mutation" else SCHEMA.query_type
    field = root.fields[name]
    params = ", ".join(f"${a}: {t.type}" for a, t in field.args.items())
    args = ", ".join(f"{a}: ${a}" for a in field.args)
    head = f"{kind} Fuzz({params})" if params else kind
    call = f"{name}({args})" if args else name
    return f"{head} {{ {call} {_selection(field.type)} }}"


def _fields(kind: str) -> list[str]:
    root = SCHEMA.mutation_type if kind == "mutation" else SCHEMA.query_type
    return sorted(root.fields)


async def _known_ids(tenant_a, tenant_b) -> list[str]:
    query = (
        "{ organizations(first: 2) { nodes { id } } facilities(first: 2) { nodes { id } } "
        "patients(first: 2) { nodes { id } } users(first: 3) { nodes { id } } roles(first: 2) { nodes { id } } "
        "manufacturers(first: 2) { nodes { id } } products(first: 2) { nodes { id } } "
        "orders(first: 2) { nodes { id } } salesReps(first: 2) { nodes { id } } }"
    )
    ids = []
    for tenant in (tenant_a, tenant_b):
        data = await tenant.query(query)
        ids += [n["id"] for conn in data.values() for n in conn["nodes"]]
    return ids


@pytest.mark.parametrize("kind", ["mutation", "query"])
async def test_fuzz_every_root_field(tenant_a, tenant_b, kind):
    ids = await _known_ids(tenant_a, tenant_b)
    rng = random.Random(20261124)
    internal = []
    for name in _fields(kind):
        field = (SCHEMA.mutation_type if kind == "mutation" else SCHEMA.query_type).fields[name]
        document = _document(kind, name)
        for _ in range(12):
            variables = {a: _value(rng, t.type, ids) for a, t in field.args.items()}
            role = rng.choice(["owner", "owner", "facility_manager", "viewer"])
            result = await tenant_a.raw(document, variables, role=role)
            for error in result.get("errors") or []:
                if (error.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR":
                    internal.append((name, variables, error["message"]))
    assert internal == []
