"""users.manage hands out no more than the caller holds: roles, role permissions, changes
to more privileged users, and (for a caller narrowed by memberships) memberships."""

from __future__ import annotations

from medgraph.demo import DEMO_PASSWORD
from tests.support import gql

USER_ID = "query($q: String!) { users(filter: { search: $q }) { nodes { id } } }"
UPDATE_USER = """mutation($id: ID!, $input: UserInput!) {
  updateUser(id: $id, input: $input) { user { id } errors { field code message } }
}"""
REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken errors { code } } }"


async def _user_id(tenant, role: str) -> str:
    found = await tenant.query(USER_ID, {"q": tenant.email(role)})
    (node,) = found["users"]["nodes"]
    return node["id"]


def _codes(payload) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def test_an_admin_cannot_give_themselves_the_owner_role(tenant_a):
    admin_id = await _user_id(tenant_a, "admin")
    result = await tenant_a.query(UPDATE_USER, {"id": admin_id, "input": {"roles": ["owner"]}}, role="admin")
    assert _codes(result["updateUser"]) == [("input.roles", "FORBIDDEN")]
    assert "tenant.manage" in result["updateUser"]["errors"][0]["message"]
    me = await tenant_a.query("{ me { roles permissions } }", role="admin")
    assert me["me"]["roles"] == ["admin"] and "tenant.manage" not in me["me"]["permissions"]


async def test_roles_carry_only_permissions_the_creator_holds(tenant_a):
    create = """mutation($p: [String!]) { createRole(input: {key: "superish", name: "S", permissions: $p}) {
      role { id } errors { field code } } }"""
    refused = await tenant_a.query(create, {"p": ["tenancy.read", "tenant.manage"]}, role="admin")
    assert _codes(refused["createRole"]) == [("input.permissions", "FORBIDDEN")]
    made = await tenant_a.query(create, {"p": ["tenancy.read"]}, role="admin")
    role_id = made["createRole"]["role"]["id"]
    update = """mutation($id: ID!, $p: [String!]) { updateRole(id: $id, input: {permissions: $p}) {
      errors { field code } } }"""
    widened = await tenant_a.query(update, {"id": role_id, "p": ["tenant.manage"]}, role="admin")
    assert _codes(widened["updateRole"]) == [("input.permissions", "FORBIDDEN")]
    owned = await tenant_a.query(update, {"id": role_id, "p": ["tenant.manage"]}, role="owner")
    assert owned["updateRole"]["errors"] == []
    # Now the role grants what the admin lacks: the admin may not reshape it either.
    narrowed = await tenant_a.query(update, {"id": role_id, "p": ["tenancy.read"]}, role="admin")
    assert _codes(narrowed["updateRole"]) == [("input.permissions", "FORBIDDEN")]


async def test_an_admin_cannot_take_over_the_owner(tenant_a):
    owner_id = await _user_id(tenant_a, "owner")
    for change in ({"password": "taken-over-123"}, {"email": "mine@evil.test"}, {"roles": ["viewer"]}):
        result = await tenant_a.query(UPDATE_USER, {"id": owner_id, "input": change}, role="admin")
        assert _codes(result["updateUser"]) == [("id", "FORBIDDEN")], change
    deactivate = await tenant_a.query(
        "mutation($id: ID!) { deactivateUser(id: $id) { errors { field code } } }",
        {"id": owner_id},
        role="admin",
    )
    assert _codes(deactivate["deactivateUser"]) == [("id", "FORBIDDEN")]
    assert (await tenant_a.login("owner"))["errors"] == []  # the old password still works


async def test_a_new_password_ends_the_users_sessions(tenant_a):
    session = await tenant_a.login("viewer")
    viewer_id = await _user_id(tenant_a, "viewer")
    result = await tenant_a.query(UPDATE_USER, {"id": viewer_id, "input": {"password": "a-brand-new-one"}})
    assert result["updateUser"]["errors"] == []
    refreshed = await gql(tenant_a.client, REFRESH, {"t": session["refreshToken"]})
    assert refreshed["data"]["refreshToken"]["errors"] == [{"code": "INVALID_TOKEN"}]
    assert (await tenant_a.login("viewer", password=DEMO_PASSWORD))["errors"]
    assert (await tenant_a.login("viewer", password="a-brand-new-one"))["errors"] == []


async def test_a_user_administrator_narrowed_by_memberships_grants_only_within_them(tenant_a):
    role = await tenant_a.query(
        """mutation { createRole(input: {key: "local_admin", name: "Local admin",
          permissions: ["tenancy.read", "users.read", "users.manage"]}) { errors { code } } }"""
    )
    assert role["createRole"]["errors"] == []
    manager_id = await _user_id(tenant_a, "facility_manager")
    granted = await tenant_a.query(
        UPDATE_USER, {"id": manager_id, "input": {"roles": ["facility_manager", "local_admin"]}}
    )
    assert granted["updateUser"]["errors"] == []
    tenant_a.tokens.pop("facility_manager", None)
    mine = await tenant_a.query(
        "{ facilities { nodes { id organization { id } } } }", role="facility_manager"
    )
    (facility,) = mine["facilities"]["nodes"]
    grant = """mutation($input: MembershipInput!) { grantMembership(input: $input) {
      membership { id } errors { field code } } }"""
    viewer_id = await _user_id(tenant_a, "viewer")
    # The parent organization is visible (it holds their facility) but is not theirs to grant.
    parent = await tenant_a.query(
        grant,
        {"input": {"userId": manager_id, "organizationId": facility["organization"]["id"]}},
        role="facility_manager",
    )
    assert _codes(parent["grantMembership"]) == [("input.organizationId", "FORBIDDEN")]
    own = await tenant_a.query(
        grant, {"input": {"userId": viewer_id, "facilityId": facility["id"]}}, role="facility_manager"
    )
    assert own["grantMembership"]["errors"] == [] and own["grantMembership"]["membership"]["id"]
