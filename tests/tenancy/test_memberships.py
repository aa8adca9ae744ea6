"""Memberships narrow what a user sees inside a tenant; tenant-wide roles see everything."""

from __future__ import annotations

LISTS = """{
  organizations(first: 100) { totalCount }
  facilities(first: 10) { totalCount nodes { id patients(first: 1) { totalCount } } }
  patients(first: 100) { totalCount nodes { facility { id } } }
  providers(first: 20) { totalCount nodes { assignments(first: 5) { nodes { facility { id } } } } }
}"""


async def test_facility_manager_sees_only_assigned_facility(tenant_a):
    admin = await tenant_a.query(LISTS, role="admin")
    manager = await tenant_a.query(LISTS, role="facility_manager")
    assert admin["facilities"]["totalCount"] == 5
    assert manager["facilities"]["totalCount"] == 1
    assert manager["organizations"]["totalCount"] == 1
    facility_id = manager["facilities"]["nodes"][0]["id"]
    assert (
        manager["patients"]["totalCount"] == manager["facilities"]["nodes"][0]["patients"]["totalCount"] > 0
    )
    assert {p["facility"]["id"] for p in manager["patients"]["nodes"]} == {facility_id}
    assert admin["patients"]["totalCount"] > manager["patients"]["totalCount"]
    for provider in manager["providers"]["nodes"]:
        assert facility_id in {a["facility"]["id"] for a in provider["assignments"]["nodes"]}
    assert admin["providers"]["totalCount"] > manager["providers"]["totalCount"] >= 1


async def test_membership_grant_widens_and_revoke_narrows(tenant_a):
    users = await tenant_a.query('{ users(filter: {search: "facility.manager"}) { nodes { id } } }')
    user_id = users["users"]["nodes"][0]["id"]
    orgs = await tenant_a.query('{ organizations(filter: {search: "Org Three"}) { nodes { id } } }')
    granted = await tenant_a.query(
        """mutation($u: ID!, $o: ID!) { grantMembership(input: {userId: $u, organizationId: $o}) {
             membership { id organization { id } } errors { field code } } }""",
        {"u": user_id, "o": orgs["organizations"]["nodes"][0]["id"]},
    )
    membership = granted["grantMembership"]["membership"]
    assert granted["grantMembership"]["errors"] == []
    tenant_a.tokens.pop("facility_manager", None)
    wider = await tenant_a.query("{ facilities { totalCount } }", role="facility_manager")
    assert wider["facilities"]["totalCount"] == 3  # one facility + both of Org Three
    dup = await tenant_a.query(
        """mutation($u: ID!, $o: ID!) { grantMembership(input: {userId: $u, organizationId: $o}) {
             membership { id } errors { field code } } }""",
        {"u": user_id, "o": orgs["organizations"]["nodes"][0]["id"]},
    )
    assert dup["grantMembership"]["errors"] == [{"field": "input.userId", "code": "DUPLICATE"}]
    revoked = await tenant_a.query(
        "mutation($id: ID!) { revokeMembership(id: $id) { errors { code } } }", {"id": membership["id"]}
    )
    assert revoked["revokeMembership"]["errors"] == []
    narrow = await tenant_a.query("{ facilities { totalCount } }", role="facility_manager")
    assert narrow["facilities"]["totalCount"] == 1


async def test_membership_input_errors(tenant_a, tenant_b):
    users = await tenant_a.query('{ users(filter: {search: "viewer"}) { nodes { id } } }')
    user_id = users["users"]["nodes"][0]["id"]
    facility_b = (await tenant_b.query("{ facilities(first: 1) { nodes { id } } }"))["facilities"]["nodes"][
        0
    ]["id"]
    mutation = """mutation($input: MembershipInput!) { grantMembership(input: $input) {
                    membership { id } errors { field code } } }"""
    cases = [
        ({"userId": user_id}, "input.organizationId", "INVALID"),
        ({"userId": user_id, "facilityId": facility_b}, "input.facilityId", "NOT_FOUND"),
        # Well-formed, but of another type: no such user.
        ({"userId": facility_b, "facilityId": facility_b}, "input.userId", "NOT_FOUND"),
    ]
    for payload, field, code in cases:
        result = await tenant_a.query(mutation, {"input": payload})
        assert result["grantMembership"] == {"membership": None, "errors": [{"field": field, "code": code}]}
    # A malformed ID never reaches the mutation: the variable fails to coerce.
    refused = await tenant_a.raw(mutation, {"input": {"userId": "not-an-id", "facilityId": facility_b}})
    assert "data" not in refused and refused["errors"][0]["extensions"]["code"] == "INVALID_ID"
    me = await tenant_a.query("{ me { user { memberships { totalCount } } } }", role="viewer")
    assert me["me"]["user"]["memberships"]["totalCount"] == 0


async def test_addresses_follow_their_owners_visibility(tenant_a):
    everyone = await tenant_a.query(
        "{ facilities { nodes { id addresses { nodes { id } } } } }", role="admin"
    )
    mine = await tenant_a.query("{ facilities { nodes { id } } }", role="facility_manager")
    (own_facility,) = [f["id"] for f in mine["facilities"]["nodes"]]
    theirs = [
        a["id"]
        for f in everyone["facilities"]["nodes"]
        if f["id"] != own_facility
        for a in f["addresses"]["nodes"]
    ]
    own = [
        a["id"]
        for f in everyone["facilities"]["nodes"]
        if f["id"] == own_facility
        for a in f["addresses"]["nodes"]
    ]
    assert theirs and own
    lookup = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    seen = await tenant_a.query(lookup, {"ids": [*own, *theirs]}, role="facility_manager")
    assert seen["nodes"] == [{"id": i} for i in own] + [None] * len(theirs)
