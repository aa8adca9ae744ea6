"""A caller seen before is answered in one statement: the principal lookup and the
compiled read fused, in a transaction of its own. What the lookup decides still holds on
the very next request: a deactivated user is refused, changed permissions apply."""

from __future__ import annotations

import httpx

from app.settings import get_settings
from medgraph.asgi import create_app
from tests.support import gql, recorded_statements

QUERY = "{ organizations(first: 5) { totalCount nodes { id name } } }"
USER_ID = "query($q: String) { users(filter: {search: $q}) { nodes { id } } }"
UPDATE_USER = """mutation($id: ID!, $input: UserInput!) {
  updateUser(id: $id, input: $input) { errors { field code } } }"""


async def _user_id(tenant, role: str) -> str:
    found = await tenant.query(USER_ID, {"q": tenant.email(role)})
    return found["users"]["nodes"][0]["id"]


async def test_a_known_caller_is_answered_in_one_statement(api_engine, tenant_a):
    settings = get_settings().model_copy(update={"compiled_reads_verify": False})
    app = create_app(settings, "", engine=api_engine)  # no verify mode: only what a server sends
    token = {"authorization": f"Bearer {await tenant_a.token()}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        first = await gql(client, QUERY, None, token)  # the principal looked up, then the data read
        with recorded_statements(api_engine) as statements:
            again = await gql(client, QUERY, None, token)
    assert again == first and "errors" not in first
    assert len(statements) == 1, statements
    assert "app_principal" in statements[0] and "row_to_json" in statements[0]


async def test_a_deactivated_caller_is_refused_on_the_next_read(tenant_a):
    await tenant_a.query(QUERY, role="viewer")
    await tenant_a.query(QUERY, role="viewer")  # remembered, answered fused
    viewer = await _user_id(tenant_a, "viewer")
    done = await tenant_a.query(
        "mutation($id: ID!) { deactivateUser(id: $id) { errors { code } } }", {"id": viewer}
    )
    assert done["deactivateUser"]["errors"] == []
    refused = await tenant_a.raw(QUERY, role="viewer")
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_changed_permissions_apply_on_the_next_read(tenant_a):
    await tenant_a.query(QUERY, role="viewer")
    await tenant_a.query(QUERY, role="viewer")
    made = await tenant_a.query(
        'mutation { createRole(input: {key: "nothing", name: "Nothing", permissions: []}) { errors { code } } }'
    )
    assert made["createRole"]["errors"] == []
    viewer = await _user_id(tenant_a, "viewer")
    changed = await tenant_a.query(UPDATE_USER, {"id": viewer, "input": {"roles": ["nothing"]}})
    assert changed["updateUser"]["errors"] == []
    refused = await tenant_a.raw(QUERY, role="viewer")
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


TWO = "query A { organizations(first: 1) { totalCount } } query B { roles(first: 1) { totalCount } }"


async def test_a_repeated_query_skips_the_pipeline(api_engine, tenant_a):
    settings = get_settings().model_copy(update={"compiled_reads_verify": False, "execution_info": True})
    app = create_app(settings, "", engine=api_engine)
    token = {"authorization": f"Bearer {await tenant_a.token()}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for body in (
            {"query": QUERY},
            {"query": "query Named { organizations(first: 2) { totalCount } }", "operationName": "Named"},
            {"query": TWO, "operationName": "B"},
        ):
            lanes = []
            for _ in range(3):
                answer = (await client.post("/graphql", json=body, headers=token)).json()
                assert "errors" not in answer, answer
                lanes.append(answer["extensions"]["medgraph"].get("lane", "pipeline"))
            assert lanes == ["pipeline", "fast", "fast"], (body, lanes)


ME = "{ me { user { email fullName } tenant { slug } roles permissions facilityIds scopeAll __typename } }"


async def test_me_is_read_from_the_principal_lookup_once_the_caller_is_known(api_engine, tenant_a):
    settings = get_settings().model_copy(update={"execution_info": True})  # verify mode stays on
    app = create_app(settings, "", engine=api_engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for role in ("owner", "provider", "viewer"):
            token = {"authorization": f"Bearer {await tenant_a.token(role)}"}
            first = (await client.post("/graphql", json={"query": ME}, headers=token)).json()
            again = (await client.post("/graphql", json={"query": ME}, headers=token)).json()
            assert first["extensions"]["medgraph"]["execution"] == "resolved"
            assert again["extensions"]["medgraph"]["execution"] == "compiled"
            # The resolvers answered the same (verify mode), and so did the first request.
            assert again["data"] == first["data"] and "errors" not in again, again
