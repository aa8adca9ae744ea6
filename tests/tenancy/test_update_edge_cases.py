"""Edge cases the fuzzer found: each answers a typed error and changes nothing."""

from __future__ import annotations

USERS = "query($q: String!) { users(filter: { search: $q }) { nodes { id fullName } } }"


def _codes(payload) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def test_null_for_a_required_field_on_update_is_required(tenant_a):
    (user,) = (await tenant_a.query(USERS, {"q": tenant_a.email("viewer")}))["users"]["nodes"]
    result = await tenant_a.query(
        "mutation($id: ID!) { updateUser(id: $id, input: {fullName: null}) { errors { field code } } }",
        {"id": user["id"]},
    )
    assert _codes(result["updateUser"]) == [("input.fullName", "REQUIRED")]
    role = await tenant_a.query(
        'mutation { createRole(input: {key: "temp", name: "Temp"}) { role { id } errors { code } } }'
    )
    renamed = await tenant_a.query(
        "mutation($id: ID!) { updateRole(id: $id, input: {name: null}) { errors { field code } } }",
        {"id": role["createRole"]["role"]["id"]},
    )
    assert _codes(renamed["updateRole"]) == [("input.name", "REQUIRED")]
    again = await tenant_a.query(USERS, {"q": tenant_a.email("viewer")})
    assert again["users"]["nodes"] == [user]


async def test_a_missing_password_on_create_is_one_error(tenant_a):
    result = await tenant_a.query(
        'mutation { createUser(input: {email: "new@x.test", fullName: "New"}) { errors { field code } } }'
    )
    assert _codes(result["createUser"]) == [("input.password", "REQUIRED")]


async def test_a_timezone_too_long_for_a_file_name_is_invalid(tenant_a):
    facility = (await tenant_a.query("{ facilities(first: 1) { nodes { id } } }"))["facilities"]["nodes"][0]
    result = await tenant_a.query(
        "mutation($id: ID!, $tz: String!) { updateFacility(id: $id, input: {timezone: $tz}) {"
        " errors { field code } } }",
        {"id": facility["id"], "tz": "a" * 100_000},
    )
    assert _codes(result["updateFacility"]) == [("input.timezone", "INVALID")]


async def test_creating_outside_ones_memberships_is_forbidden(tenant_a):
    """A role with tenancy.manage but no tenant-wide scope: a new organization would be
    outside what its holder may see, so the row policy refuses it: a typed FORBIDDEN."""
    created = await tenant_a.query(
        'mutation { createRole(input: {key: "local_editor", name: "Local editor",'
        ' permissions: ["tenancy.read", "tenancy.manage"]}) { errors { code } } }'
    )
    assert created["createRole"]["errors"] == []
    (manager,) = (await tenant_a.query(USERS, {"q": tenant_a.email("facility_manager")}))["users"]["nodes"]
    granted = await tenant_a.query(
        'mutation($id: ID!) { updateUser(id: $id, input: {roles: ["facility_manager", "local_editor"]}) {'
        " errors { code } } }",
        {"id": manager["id"]},
    )
    assert granted["updateUser"]["errors"] == []
    tenant_a.tokens.pop("facility_manager", None)
    before = (await tenant_a.query("{ organizations { totalCount } }"))["organizations"]["totalCount"]
    result = await tenant_a.query(
        'mutation { createOrganization(input: {name: "Beyond", type: CLINIC}) { organization { id }'
        " errors { field code } } }",
        role="facility_manager",
    )
    assert result["createOrganization"] == {
        "organization": None,
        "errors": [{"field": None, "code": "FORBIDDEN"}],
    }
    after = (await tenant_a.query("{ organizations { totalCount } }"))["organizations"]["totalCount"]
    assert after == before


ROLES = "{ roles(first: 50) { nodes { id key name description permissions } } }"
UPDATE_ROLE = """mutation($id: ID!, $input: RoleInput!) {
  updateRole(id: $id, input: $input) { role { name } errors { field code } } }"""


async def test_baseline_roles_keep_their_names_and_permissions(tenant_a):
    before = (await tenant_a.query(ROLES))["roles"]["nodes"]
    owner = next(r for r in before if r["key"] == "owner")
    for role in ("owner", "admin"):
        for change, field in (
            ({"name": "Pwned"}, "input.name"),
            ({"description": "anything"}, "input.description"),
            ({"permissions": ["tenancy.read"]}, "input.permissions"),
        ):
            result = await tenant_a.query(UPDATE_ROLE, {"id": owner["id"], "input": change}, role=role)
            assert _codes(result["updateRole"]) == [(field, "INVALID")], (role, change)
    # Sending what the role already says is not a change.
    same = await tenant_a.query(UPDATE_ROLE, {"id": owner["id"], "input": {"name": owner["name"]}})
    assert same["updateRole"]["errors"] == []
    assert (await tenant_a.query(ROLES))["roles"]["nodes"] == before


async def test_organization_settings_must_be_a_json_object(tenant_a):
    create = """mutation($s: JSON) { createOrganization(input: {name: "Settings Co", settings: $s}) {
      organization { id } errors { field code } } }"""
    for bad in ([1, 2], "text", 3, True):
        result = await tenant_a.query(create, {"s": bad})
        assert _codes(result["createOrganization"]) == [("input.settings", "INVALID")], bad
    literal = await tenant_a.query(
        'mutation { createOrganization(input: {name: "Settings Co", settings: [1, 2]}) { errors { field code } } }'
    )
    assert _codes(literal["createOrganization"]) == [("input.settings", "INVALID")]
    org = (await tenant_a.query("{ organizations(first: 1) { nodes { id } } }"))["organizations"]["nodes"][0]
    update = await tenant_a.query(
        "mutation($id: ID!) { updateOrganization(id: $id, input: {settings: [1]}) { errors { field code } } }",
        {"id": org["id"]},
    )
    assert _codes(update["updateOrganization"]) == [("input.settings", "INVALID")]
    fine = await tenant_a.query(create, {"s": {"billing": {"net": 30}}})
    assert fine["createOrganization"]["errors"] == []


async def test_json_settings_have_a_size_limit(tenant_a):
    big = {"notes": "x" * 20_000}
    result = await tenant_a.query(
        "mutation($s: JSON) { updateTenant(input: {settings: $s}) { errors { field code } } }", {"s": big}
    )
    assert _codes(result["updateTenant"]) == [("input.settings", "TOO_LONG")]
    created = await tenant_a.query(
        'mutation($s: JSON) { createOrganization(input: {name: "Big Settings", settings: $s}) { errors { field code } } }',
        {"s": big},
    )
    assert _codes(created["createOrganization"]) == [("input.settings", "TOO_LONG")]
