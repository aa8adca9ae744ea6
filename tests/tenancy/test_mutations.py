"""Mutations of organizations, facilities, patients, users and roles: happy paths, audit,
and bad input answered with typed errors that change nothing."""

from __future__ import annotations

import uuid

import pytest

from medgraph.demo import npi_for
from schema.relay import to_global_id

COUNTS = """{ organizations(filter: {includeDeactivated: true}) { totalCount }
  facilities(filter: {includeDeactivated: true}) { totalCount }
  patients(filter: {includeDeactivated: true}) { totalCount }
  users { totalCount } roles { totalCount } }"""

CREATE_ORG = """mutation($input: OrganizationInput!) { createOrganization(input: $input) {
  organization { id name type status taxIdMasked onboardingDate } errors { field code message } } }"""
CREATE_FACILITY = """mutation($input: FacilityInput!) { createFacility(input: $input) {
  facility { id name npi timezone organization { id } } errors { field code message } } }"""
CREATE_PATIENT = """mutation($input: PatientInput!) { createPatient(input: $input) {
  patient { id } errors { field code message } } }"""
CREATE_USER = """mutation($input: UserInput!) { createUser(input: $input) {
  user { id email roles { key } } errors { field code message } } }"""
CREATE_ROLE = """mutation($input: RoleInput!) { createRole(input: $input) {
  role { id key permissions } errors { field code message } } }"""


def _codes(payload: dict) -> set[tuple[str | None, str]]:
    return {(e["field"], e["code"]) for e in payload["errors"]}


async def test_organization_lifecycle_is_audited(tenant_a):
    name = f"Northwind {uuid.uuid4().hex[:6]}"
    created = await tenant_a.query(
        CREATE_ORG,
        {"input": {"name": name, "type": "HOSPITAL", "taxId": "12-3456789", "onboardingDate": "2026-01-02"}},
    )
    org = created["createOrganization"]["organization"]
    assert org["type"] == "HOSPITAL" and org["taxIdMasked"] == "******6789"
    updated = await tenant_a.query(
        """mutation($id: ID!) { updateOrganization(id: $id, input: {status: SUSPENDED, phone: "+1 555 0100"}) {
             organization { status } errors { code } } }""",
        {"id": org["id"]},
    )
    assert updated["updateOrganization"] == {"organization": {"status": "SUSPENDED"}, "errors": []}
    facility = await tenant_a.query(
        CREATE_FACILITY,
        {
            "input": {
                "organizationId": org["id"],
                "name": "North Main",
                "npi": npi_for(name),
                "timezone": "America/Chicago",
            }
        },
    )
    assert facility["createFacility"]["errors"] == []
    deactivated = await tenant_a.query(
        "mutation($id: ID!) { deactivateOrganization(id: $id) { organization { status deactivatedAt } } }",
        {"id": org["id"]},
    )
    assert deactivated["deactivateOrganization"]["organization"]["status"] == "INACTIVE"
    listed = await tenant_a.query(
        "query($s: String!) { organizations(filter: {search: $s}) { totalCount } }", {"s": name}
    )
    assert listed["organizations"]["totalCount"] == 0
    audit = await tenant_a.query(
        "query($id: ID!) { auditLog(filter: {entityId: $id}, orderBy: {field: CREATED_AT, direction: ASC}) "
        "{ nodes { action changes actor { email } } } }",
        {"id": org["id"]},
    )
    entries = audit["auditLog"]["nodes"]
    assert [e["action"] for e in entries] == [
        "organization.create",
        "organization.update",
        "organization.deactivate",
    ]
    assert entries[0]["actor"]["email"] == tenant_a.email("owner")
    assert entries[0]["changes"]["after"]["tax_id_enc"] == "[redacted]"
    assert entries[1]["changes"] == {
        "before": {"phone": None, "status": "active"},
        "after": {"phone": "+1 555 0100", "status": "suspended"},
    }
    facility_audit = await tenant_a.query(
        '{ auditLog(filter: {entityType: "Facility", action: "facility.deactivate"}) { totalCount } }'
    )
    assert facility_audit["auditLog"]["totalCount"] >= 1


@pytest.mark.parametrize(
    ("mutation", "payload", "expected"),
    [
        (CREATE_ORG, {}, {("input.name", "REQUIRED")}),
        (CREATE_ORG, {"name": "   "}, {("input.name", "REQUIRED")}),
        (
            CREATE_ORG,
            {"name": "x" * 201, "email": "nope"},
            {("input.name", "TOO_LONG"), ("input.email", "INVALID")},
        ),
        (CREATE_ORG, {"name": "Org One"}, {("input.name", "DUPLICATE")}),
        (CREATE_FACILITY, {"name": "F"}, {("input.organizationId", "NOT_FOUND")}),
        (
            CREATE_FACILITY,
            {"name": "F", "organizationId": to_global_id("Tenant", uuid.uuid4())},
            {("input.organizationId", "NOT_FOUND")},
        ),
        (
            CREATE_FACILITY,
            {"name": "F", "organizationId": to_global_id("Organization", uuid.uuid4())},
            {("input.organizationId", "NOT_FOUND")},
        ),
        (
            CREATE_FACILITY,
            {"name": "F", "npi": "1234567890", "timezone": "Mars/Olympus"},
            {("input.npi", "INVALID"), ("input.timezone", "INVALID")},
        ),
        (
            CREATE_PATIENT,
            {"firstName": "A"},
            {("input.mrn", "REQUIRED"), ("input.lastName", "REQUIRED"), ("input.dateOfBirth", "REQUIRED")},
        ),
        (
            CREATE_PATIENT,
            {"mrn": "M1", "firstName": "A", "lastName": "B", "dateOfBirth": "1890-01-01"},
            {("input.dateOfBirth", "INVALID")},
        ),
        (
            CREATE_PATIENT,
            {"mrn": "MRN-1000", "firstName": "A", "lastName": "B", "dateOfBirth": "1990-01-01"},
            {("input.mrn", "DUPLICATE")},
        ),
        (
            CREATE_USER,
            {"email": "bad", "fullName": "X", "password": "short"},
            {("input.email", "INVALID"), ("input.password", "INVALID")},
        ),
        (
            CREATE_USER,
            {"email": "new@x.test", "fullName": "X", "password": "long-enough-1", "roles": ["nope"]},
            {("input.roles", "NOT_FOUND")},
        ),
        (
            CREATE_ROLE,
            {"key": "Bad Key", "name": "R", "permissions": ["made.up"]},
            {("input.key", "INVALID"), ("input.permissions", "INVALID")},
        ),
        (CREATE_ROLE, {"key": "viewer", "name": "Viewer again"}, {("input.key", "DUPLICATE")}),
    ],
)
async def test_bad_input_is_typed_and_changes_nothing(tenant_a, mutation, payload, expected):
    before = await tenant_a.query(COUNTS)
    if "facilityId" not in payload and mutation is CREATE_PATIENT:
        facility = await tenant_a.query("{ facilities(first: 1) { nodes { id } } }")
        payload = {**payload, "facilityId": facility["facilities"]["nodes"][0]["id"]}
    if mutation is CREATE_FACILITY and "organizationId" not in payload and "npi" in payload:
        orgs = await tenant_a.query("{ organizations(first: 1) { nodes { id } } }")
        payload = {**payload, "organizationId": orgs["organizations"]["nodes"][0]["id"]}
    result = await tenant_a.query(mutation, {"input": payload})
    (body,) = result.values()
    assert _codes(body) == expected
    assert all(e["message"] for e in body["errors"])
    assert next(v for k, v in body.items() if k != "errors") is None
    assert await tenant_a.query(COUNTS) == before


async def test_update_and_deactivate_unknown_ids(tenant_a):
    for mutation in ("deactivateOrganization", "deactivateFacility", "deactivatePatient", "deactivateUser"):
        for bad in (
            to_global_id("Tenant", uuid.uuid4()),
            to_global_id("Organization", uuid.uuid4()),
            to_global_id("Patient", uuid.uuid4()),
        ):
            result = await tenant_a.query(
                f'mutation {{ {mutation}(id: "{bad}") {{ errors {{ field code }} }} }}'
            )
            assert result[mutation]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]


async def test_users_roles_and_deactivation(tenant_a):
    role = await tenant_a.query(
        CREATE_ROLE,
        {"input": {"key": "auditor", "name": "Auditor", "permissions": ["audit.read", "tenancy.read"]}},
    )
    assert role["createRole"]["role"]["permissions"] == ["audit.read", "tenancy.read"]
    email = f"auditor-{uuid.uuid4().hex[:6]}@{tenant_a.slug}.test"
    user = await tenant_a.query(
        CREATE_USER,
        {
            "input": {
                "email": email.upper(),
                "fullName": "Audrey Auditor",
                "password": "correct-horse-1",
                "roles": ["auditor"],
            }
        },
    )
    assert user["createUser"]["user"]["email"] == email
    assert user["createUser"]["user"]["roles"] == [{"key": "auditor"}]
    from tests.support import LOGIN, gql

    login = await gql(
        tenant_a.client, LOGIN, {"email": email, "password": "correct-horse-1", "tenant": tenant_a.slug}
    )
    token = login["data"]["login"]["accessToken"]
    me = await gql(tenant_a.client, "{ me { permissions } }", headers={"authorization": f"Bearer {token}"})
    assert me["data"]["me"]["permissions"] == ["audit.read", "tenancy.read"]
    fixed = await tenant_a.query(
        "mutation($id: ID!) { updateRole(id: $id, input: {permissions: []}) { errors { field code } } }",
        {"id": (await tenant_a.query("{ roles { nodes { id key } } }"))["roles"]["nodes"][0]["id"]},
    )
    assert fixed["updateRole"]["errors"] == [{"field": "input.permissions", "code": "INVALID"}]
    self_id = (await tenant_a.query("{ me { user { id } } }"))["me"]["user"]["id"]
    refused = await tenant_a.query(
        "mutation($id: ID!) { deactivateUser(id: $id) { errors { field code } } }", {"id": self_id}
    )
    assert refused["deactivateUser"]["errors"] == [{"field": "id", "code": "INVALID"}]


async def test_viewer_cannot_mutate(tenant_a):
    result = await tenant_a.raw(CREATE_ORG, {"input": {"name": "Nope"}}, role="viewer")
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "tenancy.manage" in result["errors"][0]["message"]
