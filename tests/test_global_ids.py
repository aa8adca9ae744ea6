"""Global IDs are checked while arguments and variables are coerced: a malformed one is
the request's error (4xx under application/graphql-response+json) and nothing executes;
a well-formed ID of something the caller cannot see still answers null."""

from __future__ import annotations

import uuid

import pytest

from schema.relay import to_global_id

GRAPHQL_RESPONSE = "application/graphql-response+json"

MALFORMED = ["", "garbage", "%%%", "T3JnYW5pemF0aW9uOm5vdC1hLXV1aWQ", "x" * 300]


async def _post(tenant, query: str, variables: dict | None = None):  # type: ignore[no-untyped-def]
    token = await tenant.token()
    return await tenant.client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"authorization": f"Bearer {token}", "accept": GRAPHQL_RESPONSE},
    )


def _refused(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body, body
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID", body
    assert "Unexpected" not in response.text


@pytest.mark.parametrize("bad", MALFORMED)
async def test_malformed_ids_are_request_errors(tenant_a, bad):
    literal = bad.replace('"', "")
    cases = [
        (f'{{ node(id: "{literal}") {{ id }} }}', None),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": bad}),
        ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [bad]}),
        ("query($f: AuditLogFilter) { auditLog(filter: $f) { totalCount } }", {"f": {"entityId": bad}}),
        ("mutation($id: ID!) { deactivatePatient(id: $id) { errors { code } } }", {"id": bad}),
        (
            "mutation($i: FacilityInput!) { createFacility(input: $i) { errors { code } } }",
            {"i": {"name": "F", "organizationId": bad}},
        ),
    ]
    for query, variables in cases:
        _refused(await _post(tenant_a, query, variables))


async def test_numbers_are_not_ids(tenant_a):
    _refused(await _post(tenant_a, "{ auditLog(filter: {entityId: 3145}) { totalCount } }"))
    _refused(await _post(tenant_a, "query($id: ID!) { node(id: $id) { id } }", {"id": 3145}))
    _refused(await _post(tenant_a, "{ nodes(ids: [1]) { id } }"))


async def test_well_formed_ids_of_nothing_visible_are_null(tenant_a, tenant_b):
    b_org = (await tenant_b.query("{ organizations(first: 1) { nodes { id } } }"))["organizations"]["nodes"][
        0
    ]
    unknown = to_global_id("Organization", uuid.uuid4())
    data = await tenant_a.query(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [b_org["id"], unknown]}
    )
    assert data == {"nodes": [None, None]}
    assert await tenant_a.query("query($id: ID!) { node(id: $id) { id } }", {"id": unknown}) == {"node": None}


async def test_ids_the_api_hands_out_are_accepted(tenant_a):
    org = (await tenant_a.query("{ organizations(first: 1) { nodes { id } } }"))["organizations"]["nodes"][0]
    data = await tenant_a.query(f'{{ node(id: "{org["id"]}") {{ id }} }}')
    assert data == {"node": {"id": org["id"]}}


async def test_every_node_the_api_hands_out_resolves_through_node(tenant_a):
    await tenant_a.query("{ patients(first: 1) { nodes { firstName } } }")  # one PHI access at least
    data = await tenant_a.query("{ me { tenant { id } } phiAccessLog(first: 1) { nodes { id } } }")
    ids = [data["me"]["tenant"]["id"], data["phiAccessLog"]["nodes"][0]["id"]]
    found = await tenant_a.query("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert [n["id"] for n in found["nodes"]] == ids


async def test_a_well_formed_id_of_no_type_is_null(tenant_a):
    nowhere = to_global_id("Spaceship", uuid.uuid4())
    org = (await tenant_a.query("{ organizations(first: 1) { nodes { id } } }"))["organizations"]["nodes"][0]
    found = await tenant_a.query(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [nowhere, org["id"]]}
    )
    assert found == {"nodes": [None, {"id": org["id"]}]}
