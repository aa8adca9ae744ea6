"""Input that the database cannot store is refused up front with a clear error."""

from __future__ import annotations


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
