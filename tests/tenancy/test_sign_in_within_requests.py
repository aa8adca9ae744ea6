"""Sign-in mutations never move the identity a request acts for.

`login`, `refreshToken` and `logout` name a tenant of their own (by slug, or in the
refresh token's prefix). They run in a transaction of their own, so a document that
puts them beside other fields cannot borrow their tenant or their tenant-wide scope.
"""

from __future__ import annotations

from tests.support import gql

PATIENTS = "{ patients(first: 100) { nodes { id facility { id } } } }"

# The first field loads the caller's principal, which scopes the request's transaction;
# the sign-in field after it must not rescope it.
DEACTIVATE = """mutation($prefix: String!, $id: ID!) {
  before: deactivatePatient(id: "UGF0aWVudDowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA") { errors { code } }
  logout(refreshToken: $prefix) { ok }
  deactivatePatient(id: $id) {
    patient { id mrn facility { name organization { name } } }
    errors { field code }
  }
}"""

UPDATE = """mutation($prefix: String!, $id: ID!) {
  before: deactivatePatient(id: "UGF0aWVudDowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA") { errors { code } }
  refreshToken(refreshToken: $prefix) { accessToken }
  updatePatient(id: $id, input: {}) { patient { id mrn lastName } errors { field code } }
}"""


async def _a_deactivated_patient(tenant) -> str:
    patient_id = (await tenant.query(PATIENTS))["patients"]["nodes"][0]["id"]
    result = await tenant.query(
        "mutation($id: ID!) { deactivatePatient(id: $id) { errors { code } } }", {"id": patient_id}
    )
    assert result["deactivatePatient"]["errors"] == []
    return patient_id


async def test_logout_naming_another_tenant_does_not_open_it(tenant_a, tenant_b):
    b_patient = await _a_deactivated_patient(tenant_b)  # deactivating again writes nothing
    result = await tenant_a.raw(DEACTIVATE, {"prefix": f"{tenant_b.id.hex}.x", "id": b_patient})
    assert "errors" not in result, result
    assert result["data"]["logout"] == {"ok": False}
    assert result["data"]["deactivatePatient"] == {
        "patient": None,
        "errors": [{"field": "id", "code": "NOT_FOUND"}],
    }


async def test_refresh_naming_another_tenant_does_not_open_it(tenant_a, tenant_b):
    b_patient = (await tenant_b.query(PATIENTS))["patients"]["nodes"][0]["id"]
    result = await tenant_a.raw(UPDATE, {"prefix": f"{tenant_b.id.hex}.x", "id": b_patient})
    assert "errors" not in result, result
    assert result["data"]["updatePatient"]["patient"] is None
    assert result["data"]["updatePatient"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]


async def test_sign_in_mutations_do_not_widen_a_scoped_user(tenant_a):
    everyone = (await tenant_a.query(PATIENTS))["patients"]["nodes"]
    visible = {
        p["id"] for p in (await tenant_a.query(PATIENTS, role="facility_manager"))["patients"]["nodes"]
    }
    elsewhere = next(p["id"] for p in everyone if p["id"] not in visible)
    prefix = f"{tenant_a.id.hex}.x"
    for document in (DEACTIVATE, UPDATE):
        result = await tenant_a.raw(document, {"prefix": prefix, "id": elsewhere}, role="facility_manager")
        assert "errors" not in result, result
        (payload,) = [v for k, v in result["data"].items() if k.endswith("Patient") and k != "before"]
        assert payload == {"patient": None, "errors": [{"field": "id", "code": "NOT_FOUND"}]}
    login_beside = await tenant_a.raw(
        f"""mutation {{
          before: deactivatePatient(id: "UGF0aWVudDowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA") {{ errors {{ code }} }}
          login(email: "{tenant_a.email("owner")}", password: "medgraph-demo", tenant: "{tenant_a.slug}") {{
            accessToken
          }}
          updatePatient(id: "{elsewhere}", input: {{}}) {{ patient {{ id }} errors {{ code }} }}
        }}""",
        role="facility_manager",
    )
    assert login_beside["data"]["login"]["accessToken"]
    assert login_beside["data"]["updatePatient"] == {"patient": None, "errors": [{"code": "NOT_FOUND"}]}


async def test_an_anonymous_request_acts_as_the_user_it_signs_in(tenant_a, client):
    result = await gql(
        client,
        """mutation($email: String!, $tenant: String!) {
          login(email: $email, password: "medgraph-demo", tenant: $tenant) {
            user { email roles { key } memberships(first: 5) { totalCount } }
          }
        }""",
        {"email": tenant_a.email("facility_manager"), "tenant": tenant_a.slug},
    )
    user = result["data"]["login"]["user"]
    assert user["email"] == tenant_a.email("facility_manager")
    assert [r["key"] for r in user["roles"]] == ["facility_manager"]
    assert user["memberships"]["totalCount"] == 1


async def test_a_request_with_a_token_keeps_its_identity_when_it_signs_in(tenant_a, tenant_b):
    result = await tenant_a.query(
        """mutation($email: String!, $tenant: String!) {
          before: deactivatePatient(id: "UGF0aWVudDowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA") { errors { code } }
          login(email: $email, password: "medgraph-demo", tenant: $tenant) {
            accessToken user { email roles { key } }
          }
          createOrganization(input: {name: "Signed in beside", type: CLINIC}) {
            organization { id } errors { code }
          }
        }""",
        {"email": tenant_b.email("owner"), "tenant": tenant_b.slug},
    )
    assert result["login"]["accessToken"]
    # B's user is shown, but its roles are B's rows, which A's owner cannot see.
    assert result["login"]["user"] == {"email": tenant_b.email("owner"), "roles": []}
    created = result["createOrganization"]["organization"]["id"]
    find = "query($id: ID!) { node(id: $id) { id } }"
    assert (await tenant_a.query(find, {"id": created}))["node"] == {"id": created}
    assert (await tenant_b.query(find, {"id": created}))["node"] is None
