"""Input that the database cannot store is refused up front with a clear error."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from app.settings import get_settings


async def test_nul_characters_are_refused_in_variables_and_literals(tenant_a):
    mutation = "mutation($n: String!) { createOrganization(input: {name: $n}) { errors { code } } }"
    by_variable = await tenant_a.raw(mutation, {"n": "bad\x00name"})
    assert by_variable["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    by_literal = await tenant_a.raw('{ organizations(filter: {search: "a\\u0000b"}) { totalCount } }')
    assert by_literal["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    in_json = await tenant_a.raw(
        'mutation($s: JSON!) { createOrganization(input: {name: "J", settings: $s}) { errors { code } } }',
        {"s": {"k\x00": 1}},
    )
    assert in_json["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    login = await tenant_a.client.post(
        "/graphql",
        json={
            "query": 'mutation { login(email: "a\\u0000@b.c", password: "x", tenant: "t") { errors { code } } }'
        },
    )
    assert login.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


CREATE = "mutation($n: String!) { createOrganization(input: {name: $n}) { errors { code } } }"
WITH_SETTINGS = (
    'mutation($s: JSON!) { createOrganization(input: {name: "J", settings: $s}) { errors { code } } }'
)


async def _post(tenant, body: bytes) -> httpx.Response:
    token = await tenant.token()
    return await tenant.client.post(
        "/graphql",
        content=body,
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )


def _refused(result: dict) -> str:
    assert result.get("data") is None, result
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    return error["message"]


async def test_lone_surrogates_are_refused_in_literals_and_json_bodies(tenant_a):
    # The GraphQL parser refuses the escape; the JSON body parser refuses it too. (Over
    # websockets, whose JSON is lenient, the operation refuses it: test_websockets.)
    literal = await tenant_a.raw(
        'mutation { createOrganization(input: {name: "a\\ud800b"}) { errors { code } } }'
    )
    assert literal.get("data") is None and "Invalid Unicode escape" in literal["errors"][0]["message"]
    raw = await _post(
        tenant_a, b'{"query": "{ organizations { totalCount } }", "variables": {"n": "\\ud800"}}'
    )
    assert raw.status_code == 400


@pytest.mark.parametrize(
    "literal",
    ["1000000000000000000000000000000", "9" * 5001, "-9223372036854775809", "1e999"],
)
async def test_numbers_json_cannot_hold_are_refused(tenant_a, literal):
    result = await tenant_a.raw(
        f'mutation {{ createOrganization(input: {{name: "N", settings: {{n: {literal}}}}}) {{ errors {{ code }} }} }}'
    )
    assert "64-bit" in _refused(result)


@pytest.mark.parametrize("number", [2**63, 2**64 + 1, -(2**63) - 1, 10**32, 1e30])
async def test_numbers_past_64_bits_in_variables_are_refused_not_rounded(tenant_a, number):
    assert "64-bit" in _refused(await tenant_a.raw(WITH_SETTINGS, {"s": {"n": number}}))


async def test_the_largest_64_bit_numbers_are_stored(tenant_a):
    result = await tenant_a.query(WITH_SETTINGS, {"s": {"max": 2**63 - 1, "min": -(2**63)}})
    assert result["createOrganization"]["errors"] == []


@pytest.mark.parametrize(
    "body",
    [
        b"null",
        b'"x"',
        b"1",
        b'{"query": "{ __typename }"}\xff',
        b'{"query": "{ __typename }", "variables": {"a": NaN}}',
        b'{"query": "{ __typename }", "variables": {"a": ' + b"[" * 2000 + b"]" * 2000 + b"}}",
        b'{"query": "{ __typename }", "variables": {"a": ' + b"9" * 5001 + b"}}",
        b'{"query": "{ __typename }", "operationName": 7}',
    ],
)
async def test_bodies_that_are_not_a_graphql_request_get_400(tenant_a, body):
    response = await _post(tenant_a, body)
    assert response.status_code == 400, response.text


async def test_a_stored_number_beyond_64_bits_is_still_served(tenant_a, owner_engine):
    """Rows written before such input was refused (or by other tools) must not break reads."""
    from app.db import tenant_transaction

    created = await tenant_a.query(
        'mutation { createOrganization(input: {name: "Big Number"}) { organization { id } } }'
    )
    org_id = created["createOrganization"]["organization"]["id"]
    async with tenant_transaction(owner_engine, str(tenant_a.id)) as conn:
        await conn.execute(
            sa.text(
                "UPDATE organizations SET settings = '{\"n\": 100000000000000000000000000000}' WHERE name = 'Big Number'"
            )
        )
    result = await tenant_a.query(
        "query($id: ID!) { node(id: $id) { ... on Organization { settings } } }", {"id": org_id}
    )
    assert result["node"]["settings"] == {"n": 100000000000000000000000000000}


def _cursor(value: str) -> str:
    import base64
    import json
    import uuid

    return base64.urlsafe_b64encode(json.dumps([value, str(uuid.uuid4())]).encode()).decode()


@pytest.mark.parametrize(
    ("query", "value"),
    [
        (
            "{ organizations(orderBy: {field: CREATED_AT}, after: $c) { totalCount } }",
            "9999-12-31T23:59:59-10:00",
        ),
        (
            "{ organizations(orderBy: {field: UPDATED_AT}, before: $c) { totalCount } }",
            "0001-01-01T00:00:00+05:00",
        ),
        ("{ auditLog(after: $c) { totalCount } }", "9999-12-31T23:59:59-10:00"),
        ("{ organizations(after: $c) { totalCount } }", "a\u0000b"),
        ("{ roles(after: $c) { totalCount } }", "\u0000"),
    ],
)
async def test_cursors_the_database_cannot_compare_are_invalid(tenant_a, query, value):
    result = await tenant_a.raw(f"query($c: String) {query}", {"c": _cursor(value)})
    assert _refused(result) == "Invalid cursor"


@pytest.mark.parametrize("bound", ["since", "until"])
async def test_audit_bounds_outside_the_calendar_in_utc_are_refused(tenant_a, bound):
    result = await tenant_a.raw(
        f"query($t: DateTime) {{ auditLog(filter: {{{bound}: $t}}) {{ totalCount }} }}",
        {"t": "9999-12-31T23:59:59-10:00"},
    )
    assert bound in _refused(result)


def _nested_json(levels: int) -> str:
    return '{"a": [' * levels + "1" + "]}" * levels


async def test_deeply_nested_variables_are_refused_even_undeclared(tenant_a):
    limit = get_settings().max_input_depth
    for levels in (limit, 500):  # 500 levels are 1000 of JSON nesting, orjson's limit is 1024
        body = '{"query": "{ me { scopeAll } }", "variables": {"x": ' + _nested_json(levels) + "}}"
        message = _refused((await _post(tenant_a, body.encode())).json())
        assert str(limit) in message and "nest" in message
    within = '{"query": "{ me { scopeAll } }", "variables": {"x": ' + _nested_json(limit // 2 - 1) + "}}"
    assert (await _post(tenant_a, within.encode())).json() == {"data": {"me": {"scopeAll": True}}}


async def test_deeply_nested_literals_are_refused(tenant_a):
    limit = get_settings().max_input_depth
    deep = "{a: [" * (limit // 2 + 1) + "1" + "]}" * (limit // 2 + 1)
    result = await tenant_a.raw(
        f"mutation {{ updateTenant(input: {{settings: {deep}}}) {{ errors {{ code }} }} }}"
    )
    assert str(limit) in _refused(result)
    shallow = "{a: [" * 3 + "1" + "]}" * 3
    ok = await tenant_a.query(
        f"mutation {{ updateTenant(input: {{settings: {shallow}}}) {{ errors {{ code }} }} }}"
    )
    assert ok["updateTenant"]["errors"] == []


async def test_variables_holding_too_many_values_are_refused_before_coercion(tenant_a):
    limit = get_settings().max_input_values
    declared = "query($s: [ActiveStatus!]) { patients(filter: {statuses: $s}) { totalCount } }"
    for query, variables in (
        (declared, {"s": ["ACTIVE"] * (limit + 1)}),
        ("{ me { scopeAll } }", {"unused": [0] * (limit + 1)}),
        ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["x"] * (limit + 1)}),
    ):
        result = await tenant_a.raw(query, variables)
        assert str(limit) in _refused(result)
    fine = await tenant_a.query(declared, {"s": ["ACTIVE"] * 100})
    assert fine["patients"]["totalCount"] >= 0
