"""Mutations of providers, addresses, provider assignments and the tenant: bad input and
duplicates are answered with typed errors that change nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from schema.relay import to_global_id
from tests.tenancy.provider_ops import (
    ASSIGN,
    CREATE_ADDRESS,
    CREATE_PROVIDER,
    DEACTIVATE_PROVIDER,
    NODE_PROVIDER,
    UPDATE_ADDRESS,
    UPDATE_ASSIGNMENT,
    UPDATE_PROVIDER,
    UPDATE_TENANT,
    address_input,
    codes,
    provider_input,
    seeded,
    state,
)

# Bad input: typed errors, nothing changed

Case = tuple[str, Callable[[dict[str, Any]], dict[str, Any]], set[tuple[str, str]]]
CASES: list[Case] = [
    (
        CREATE_PROVIDER,
        lambda ids: {"firstName": "A"},
        {("input.lastName", "REQUIRED"), ("input.credentials", "REQUIRED"), ("input.npi", "REQUIRED")},
    ),
    (
        CREATE_PROVIDER,
        lambda ids: provider_input("x", firstName=" ", lastName="x" * 101, status=None),
        {("input.firstName", "REQUIRED"), ("input.lastName", "TOO_LONG"), ("input.status", "REQUIRED")},
    ),
    (
        CREATE_PROVIDER,
        lambda ids: provider_input("x", npi="1234567890", taxonomyCode="nope", contactEmail="bad"),
        {("input.npi", "INVALID"), ("input.taxonomyCode", "INVALID"), ("input.contactEmail", "INVALID")},
    ),
    (
        CREATE_PROVIDER,
        lambda ids: provider_input("x", contactPhone="call me"),
        {("input.contactPhone", "INVALID")},
    ),
    (
        CREATE_PROVIDER,
        lambda ids: provider_input("x", userId=to_global_id("User", uuid.uuid4())),
        {("input.userId", "NOT_FOUND")},
    ),
    (
        CREATE_PROVIDER,
        lambda ids: provider_input("x", userId=to_global_id("Tenant", uuid.uuid4())),
        {("input.userId", "NOT_FOUND")},
    ),
    (
        CREATE_PROVIDER,
        lambda ids: provider_input("x", userId=ids["provider"]),
        {("input.userId", "NOT_FOUND")},
    ),
    (
        CREATE_PROVIDER,
        lambda ids: provider_input("x", npi=ids["provider_npi"]),
        {("input.npi", "DUPLICATE")},
    ),
    (
        CREATE_ADDRESS,
        lambda ids: {"ownerId": ids["facility"]},
        {
            ("input.addressType", "REQUIRED"),
            ("input.street1", "REQUIRED"),
            ("input.city", "REQUIRED"),
            ("input.stateProvince", "REQUIRED"),
            ("input.postalCode", "REQUIRED"),
        },
    ),
    (
        CREATE_ADDRESS,
        lambda ids: {
            "ownerId": ids["facility"],
            "addressType": "SHIPPING",
            "street1": "1 A St",
            "city": "B",
            "stateProvince": "C",
            "postalCode": "!!",
            "countryCode": "usa",
        },
        {("input.postalCode", "INVALID"), ("input.countryCode", "INVALID")},
    ),
    (
        CREATE_ADDRESS,
        lambda ids: {k: v for k, v in address_input("").items() if k != "ownerId"},
        {("input.ownerId", "REQUIRED")},
    ),
    (
        CREATE_ADDRESS,
        lambda ids: address_input(to_global_id("Tenant", uuid.uuid4())),
        {("input.ownerId", "NOT_FOUND")},
    ),
    (
        CREATE_ADDRESS,
        lambda ids: address_input(to_global_id("Facility", uuid.uuid4())),
        {("input.ownerId", "NOT_FOUND")},
    ),
    (
        CREATE_ADDRESS,
        lambda ids: address_input(to_global_id("Provider", uuid.uuid4())),
        {("input.ownerId", "NOT_FOUND")},
    ),
    (CREATE_ADDRESS, lambda ids: address_input(ids["user"]), {("input.ownerId", "NOT_FOUND")}),
    (
        ASSIGN,
        lambda ids: {
            "facilityId": ids["other_facility"],
            "providerId": ids["provider"],
            "startDate": "2026-05-02",
            "endDate": "2026-05-01",
        },
        {("input.endDate", "INVALID")},
    ),
    (ASSIGN, lambda ids: {}, {("input.facilityId", "REQUIRED"), ("input.providerId", "REQUIRED")}),
    (
        ASSIGN,
        lambda ids: {
            "facilityId": to_global_id("Tenant", uuid.uuid4()),
            "providerId": to_global_id("Provider", uuid.uuid4()),
        },
        {("input.facilityId", "NOT_FOUND"), ("input.providerId", "NOT_FOUND")},
    ),
    (
        ASSIGN,
        lambda ids: {"facilityId": ids["facility"], "providerId": ids["facility"]},
        {("input.providerId", "NOT_FOUND")},
    ),
    (
        ASSIGN,
        lambda ids: {"facilityId": ids["facility"], "providerId": ids["provider"], "canOrder": None},
        {("input.canOrder", "REQUIRED")},
    ),
    (
        ASSIGN,
        lambda ids: {"facilityId": ids["facility"], "providerId": ids["provider"]},
        {("input.providerId", "DUPLICATE")},
    ),
    (
        UPDATE_TENANT,
        lambda ids: {"name": " ", "settings": [], "features": {"a": "yes"}},
        {
            ("input.name", "REQUIRED"),
            ("input.settings", "INVALID"),
            ("input.features", "INVALID"),
        },
    ),
    (
        UPDATE_TENANT,
        lambda ids: {"name": None, "settings": None, "features": "s"},
        {
            ("input.name", "REQUIRED"),
            ("input.settings", "REQUIRED"),
            ("input.features", "INVALID"),
        },
    ),
]


@pytest.mark.parametrize(("mutation", "payload", "expected"), CASES)
async def test_bad_input_is_typed_and_changes_nothing(tenant_a, mutation, payload, expected):
    ids = await seeded(tenant_a)
    before = await state(tenant_a, ids)
    result = await tenant_a.query(mutation, {"input": payload(ids)})
    (body,) = result.values()
    assert codes(body) == expected
    assert all(e["message"] for e in body["errors"])
    assert next(v for k, v in body.items() if k != "errors") is None
    assert await state(tenant_a, ids) == before


async def test_bad_updates_are_typed_and_change_nothing(tenant_a):
    ids = await seeded(tenant_a)
    before = await state(tenant_a, ids)
    provider = (await tenant_a.query(NODE_PROVIDER, {"id": ids["provider"]}))["node"]
    other = (await tenant_a.query(NODE_PROVIDER, {"id": ids["other_provider"]}))["node"]
    cases = [
        (
            UPDATE_PROVIDER,
            ids["provider"],
            {"npi": "1234567893x", "firstName": None},
            {("input.npi", "INVALID"), ("input.firstName", "REQUIRED")},
        ),
        (UPDATE_PROVIDER, ids["provider"], {"npi": other["npi"]}, {("input.npi", "DUPLICATE")}),
        (
            UPDATE_PROVIDER,
            ids["provider"],
            {"userId": to_global_id("Tenant", uuid.uuid4())},
            {("input.userId", "NOT_FOUND")},
        ),
        (UPDATE_ASSIGNMENT, ids["assignment"], {"endDate": "1999-01-01"}, {("input.endDate", "INVALID")}),
        (
            UPDATE_ASSIGNMENT,
            ids["assignment"],
            {"startDate": None, "status": None},
            {("input.startDate", "REQUIRED"), ("input.status", "REQUIRED")},
        ),
    ]
    for mutation, pk, payload, expected in cases:
        result = await tenant_a.query(mutation, {"id": pk, "input": payload})
        (body,) = result.values()
        assert codes(body) == expected, (payload, body)
    address = await tenant_a.query(
        "query($id: ID!) { node(id: $id) { ... on Facility { addresses(first: 1) { nodes { id postalCode } } } } }",
        {"id": ids["facility"]},
    )
    (seeded_address,) = address["node"]["addresses"]["nodes"]
    result = await tenant_a.query(
        UPDATE_ADDRESS, {"id": seeded_address["id"], "input": {"postalCode": "!!", "city": None}}
    )
    assert codes(result["updateAddress"]) == {("input.postalCode", "INVALID"), ("input.city", "REQUIRED")}
    assert await state(tenant_a, ids) == before
    assert (await tenant_a.query(NODE_PROVIDER, {"id": ids["provider"]}))["node"] == provider


async def test_inactive_provider_or_owner_is_refused(tenant_a):
    ids = await seeded(tenant_a)
    created = await tenant_a.query(CREATE_PROVIDER, {"input": provider_input(f"inactive-{uuid.uuid4()}")})
    provider_id = created["createProvider"]["provider"]["id"]
    await tenant_a.query(DEACTIVATE_PROVIDER, {"id": provider_id})
    before = await state(tenant_a, ids)
    assigned = await tenant_a.query(
        ASSIGN, {"input": {"facilityId": ids["facility"], "providerId": provider_id}}
    )
    assert codes(assigned["assignProvider"]) == {("input.providerId", "INACTIVE")}
    address = await tenant_a.query(CREATE_ADDRESS, {"input": address_input(provider_id)})
    assert codes(address["createAddress"]) == {("input.ownerId", "INACTIVE")}
    assert await state(tenant_a, ids) == before
