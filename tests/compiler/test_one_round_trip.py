"""A caller seen before is answered in one statement: the principal lookup and the
compiled read fused, in a transaction of its own. What the lookup decides still holds on
the very next request: a deactivated user is refused, changed permissions apply."""

from __future__ import annotations

from sqlalchemy import event

QUERY = "{ organizations(first: 5) { totalCount nodes { id name } } }"
USER_ID = "query($q: String) { users(filter: {search: $q}) { nodes { id } } }"
UPDATE_USER = """mutation($id: ID!, $input: UserInput!) {
  updateUser(id: $id, input: $input) { errors { field code } } }"""


async def _user_id(tenant, role: str) -> str:
    found = await tenant.query(USER_ID, {"q": tenant.email(role)})
    return found["users"]["nodes"][0]["id"]


async def test_a_known_caller_is_answered_in_one_statement(api_engine, tenant_a):
    first = await tenant_a.query(QUERY)  # the principal is looked up, then the data read
    statements: list[str] = []

    def before(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(api_engine.sync_engine, "before_cursor_execute", before)
    try:
        again = await tenant_a.query(QUERY)
    finally:
        event.remove(api_engine.sync_engine, "before_cursor_execute", before)
    assert again == first
    # Verify mode (the suite's) reads once more through the resolvers: skip those.
    fused = [s for s in statements if "app_principal" in s and "json_build_object" in s]
    assert len(fused) == 1 and statements[0] == fused[0], statements


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
