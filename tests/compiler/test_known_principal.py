"""A principal found before is only checked, not looked up again (`app_known_principal`),
and never outlives a change to what it is made of: every kind of change the versions of
migration 0007 track is made between two reads of a caller the process remembers, and
the next read sees it. (The suite runs in verify mode, so each read is also compared with
the resolvers' answer under a principal loaded afresh.)"""

from __future__ import annotations

import httpx

from app.settings import get_settings
from medgraph.asgi import create_app
from modules.tenancy import set_tenant_active
from tests.support import gql, recorded_statements

ORGS = "{ organizations(first: 5) { totalCount } }"
FACILITIES = "{ facilities(first: 50) { totalCount nodes { id } } }"
USER_ID = "query($q: String) { users(filter: {search: $q}) { nodes { id } } }"


async def _remembered(tenant, query: str, role: str) -> dict:  # type: ignore[no-untyped-def]
    """Read until the process remembers the caller (pipeline, full lookup, then checked)."""
    answers = [await tenant.raw(query, role=role) for _ in range(3)]
    assert answers[0] == answers[1] == answers[2], answers
    return answers[-1]


async def _user_id(tenant, role: str) -> str:  # type: ignore[no-untyped-def]
    return (await tenant.query(USER_ID, {"q": tenant.email(role)}))["users"]["nodes"][0]["id"]


async def test_a_remembered_principal_is_checked_in_the_read_statement(api_engine, tenant_a):  # type: ignore[no-untyped-def]
    app = create_app(
        get_settings().model_copy(update={"compiled_reads_verify": False}), "", engine=api_engine
    )
    token = {"authorization": f"Bearer {await tenant_a.token('facility_manager')}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        answers = [await gql(client, FACILITIES, None, token) for _ in range(2)]
        with recorded_statements(api_engine) as statements:
            answers.append(await gql(client, FACILITIES, None, token))
    assert answers[0] == answers[1] == answers[2] and "errors" not in answers[0]
    assert answers[0]["data"]["facilities"]["totalCount"] == 1  # narrowed to the membership
    assert len(statements) == 1 and "app_known_principal" in statements[0], statements


async def test_role_permissions_changed(tenant_a):  # type: ignore[no-untyped-def]
    made = await tenant_a.query(
        'mutation { createRole(input: {key: "reader", name: "Reader", permissions: ["tenancy.read"]}) {'
        " role { id } errors { code } } }"
    )
    assert made["createRole"]["errors"] == []
    viewer = await _user_id(tenant_a, "viewer")
    moved = await tenant_a.query(
        'mutation($id: ID!) { updateUser(id: $id, input: {roles: ["reader"]}) { errors { code } } }',
        {"id": viewer},
    )
    assert moved["updateUser"]["errors"] == []
    await _remembered(tenant_a, ORGS, "viewer")
    changed = await tenant_a.query(
        "mutation($id: ID!) { updateRole(id: $id, input: {permissions: []}) { errors { code } } }",
        {"id": made["createRole"]["role"]["id"]},
    )
    assert changed["updateRole"]["errors"] == []
    refused = await tenant_a.raw(ORGS, role="viewer")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused


async def test_membership_granted(tenant_a):  # type: ignore[no-untyped-def]
    before = (await _remembered(tenant_a, FACILITIES, "facility_manager"))["data"]["facilities"]
    every = (await tenant_a.query(FACILITIES))["facilities"]["nodes"]
    other = next(f["id"] for f in every if f not in before["nodes"])
    granted = await tenant_a.query(
        "mutation($input: MembershipInput!) { grantMembership(input: $input) { errors { code } } }",
        {"input": {"userId": await _user_id(tenant_a, "facility_manager"), "facilityId": other}},
    )
    assert granted["grantMembership"]["errors"] == []
    after = (await tenant_a.raw(FACILITIES, role="facility_manager"))["data"]["facilities"]
    assert after["totalCount"] == before["totalCount"] + 1


async def test_facility_created_in_an_organization_of_the_callers(tenant_a):  # type: ignore[no-untyped-def]
    organization = (await tenant_a.query("{ organizations(first: 1) { nodes { id } } }"))["organizations"]
    org_id = organization["nodes"][0]["id"]
    granted = await tenant_a.query(
        "mutation($input: MembershipInput!) { grantMembership(input: $input) { errors { code } } }",
        {"input": {"userId": await _user_id(tenant_a, "facility_manager"), "organizationId": org_id}},
    )
    assert granted["grantMembership"]["errors"] == []
    before = (await _remembered(tenant_a, FACILITIES, "facility_manager"))["data"]["facilities"]
    created = await tenant_a.query(
        "mutation($input: FacilityInput!) { createFacility(input: $input) { errors { code } } }",
        {"input": {"organizationId": org_id, "name": "Annex", "type": "CLINIC"}},
    )
    assert created["createFacility"]["errors"] == []
    after = (await tenant_a.raw(FACILITIES, role="facility_manager"))["data"]["facilities"]
    assert after["totalCount"] == before["totalCount"] + 1


async def test_signed_out(tenant_a):  # type: ignore[no-untyped-def]
    signed_in = await tenant_a.login("viewer")
    token = {"authorization": f"Bearer {signed_in['accessToken']}"}
    for _ in range(3):
        assert "errors" not in await gql(tenant_a.client, ORGS, None, token)
    out = await gql(
        tenant_a.client,
        "mutation($t: String!) { logout(refreshToken: $t) { errors { code } } }",
        {"t": signed_in["refreshToken"]},
        token,
    )
    assert out["data"]["logout"]["errors"] == []
    refused = await gql(tenant_a.client, ORGS, None, token)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", refused


async def test_tenant_deactivated(owner_engine, tenant_a):  # type: ignore[no-untyped-def]
    await _remembered(tenant_a, ORGS, "viewer")
    async with owner_engine.begin() as conn:
        assert await set_tenant_active(conn, tenant_a.slug, False)
    refused = await tenant_a.raw(ORGS, role="viewer")
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", refused
