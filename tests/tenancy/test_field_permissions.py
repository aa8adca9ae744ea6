"""A relation into another area checks that area's permission, as its root field does:
reaching users through providers or the audit log needs users.read, reaching patients
through facilities needs patients.read."""

from __future__ import annotations

USERS = '{ users(filter: { search: "owner" }) { nodes { id email } } }'


async def _link_owner_to_a_provider(tenant) -> str:
    owner = (await tenant.query(USERS))["users"]["nodes"][0]
    provider = (await tenant.query("{ providers(first: 1) { nodes { id } } }"))["providers"]["nodes"][0]
    result = await tenant.query(
        "mutation($id: ID!, $user: ID!) { updateProvider(id: $id, input: {userId: $user}) {"
        " provider { user { email } } errors { code } } }",
        {"id": provider["id"], "user": owner["id"]},
    )
    assert result["updateProvider"]["provider"]["user"]["email"] == owner["email"]
    return provider["id"]


async def test_provider_user_needs_users_read(tenant_a):
    provider_id = await _link_owner_to_a_provider(tenant_a)
    query = "query($id: ID!) { node(id: $id) { ... on Provider { lastName user { email roles { key } } } } }"
    result = await tenant_a.raw(query, {"id": provider_id}, role="provider")
    assert result["data"]["node"]["lastName"]
    assert result["data"]["node"]["user"] is None
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN" and error["path"] == ["node", "user"]
    assert tenant_a.email("owner") not in repr(result)
    # A role with users.read sees it.
    allowed = await tenant_a.query(query, {"id": provider_id}, role="manager")
    assert allowed["node"]["user"]["email"] == tenant_a.email("owner")


async def test_a_users_roles_and_memberships_are_for_user_readers_and_the_user(tenant_a):
    me = await tenant_a.query("{ me { user { roles { key } memberships { totalCount } } } }", role="provider")
    assert [r["key"] for r in me["me"]["user"]["roles"]] == ["provider"]


async def test_audit_actor_needs_users_read(tenant_a):
    # A role with audit.read but not users.read, made by the tenant's owner.
    created = await tenant_a.query(
        'mutation { createRole(input: {key: "auditor", name: "Auditor", permissions: ["audit.read"]}) {'
        " role { id } errors { code } } }"
    )
    assert created["createRole"]["errors"] == []
    auditor = await tenant_a.query(USERS.replace('"owner"', '"viewer"'))
    result = await tenant_a.query(
        'mutation($id: ID!) { updateUser(id: $id, input: {roles: ["viewer", "auditor"]}) { errors { code } } }',
        {"id": auditor["users"]["nodes"][0]["id"]},
    )
    assert result["updateUser"]["errors"] == []
    tenant_a.tokens.pop("viewer", None)
    log = await tenant_a.raw("{ auditLog(first: 3) { nodes { action actor { email } } } }", role="viewer")
    assert log["data"]["auditLog"]["nodes"], log
    assert all(node["actor"] is None for node in log["data"]["auditLog"]["nodes"])
    assert {e["extensions"]["code"] for e in log["errors"]} == {"FORBIDDEN"}


async def test_facility_patients_need_patients_read(tenant_a):
    result = await tenant_a.raw(
        "{ facilities(first: 2) { nodes { name patients { totalCount } } } }", role="sales_rep"
    )
    # The connection is non-null, so the refusal nulls the whole (non-null) list.
    assert result["data"] is None
    assert {e["extensions"]["code"] for e in result["errors"]} == {"FORBIDDEN"}
    assert result["errors"][0]["path"][-1] == "patients"
