"""Answers that tell PHI without showing it are logged like reads: a DUPLICATE on an MRN
the caller cannot see, and searches by PHI whatever they select or page through."""

from __future__ import annotations

from typing import Any

CREATE = """mutation($input: PatientInput!) {
  createPatient(input: $input) { patient { id } errors { field code } } }"""
UPDATE = """mutation($id: ID!, $input: PatientInput!) {
  updatePatient(id: $id, input: $input) { patient { id } errors { field code } } }"""
LOG = """query($id: ID!) { phiAccessLog(first: 50, patientId: $id) {
  nodes { fields reason user { email } } } }"""
PATIENTS = "{ patients(first: 100) { nodes { id mrn lastName dateOfBirth facility { id } } } }"


async def _log(tenant, patient_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return (await tenant.query(LOG, {"id": patient_id}))["phiAccessLog"]["nodes"]


async def _unseen_patient(tenant) -> tuple[dict[str, Any], str]:  # type: ignore[no-untyped-def]
    """A patient at a facility the facility manager cannot see, and one facility they can."""
    seen = await tenant.query("{ facilities { nodes { id } } }", role="facility_manager")
    visible = {f["id"] for f in seen["facilities"]["nodes"]}
    everyone = (await tenant.query(PATIENTS))["patients"]["nodes"]
    hidden = next(p for p in everyone if p["facility"]["id"] not in visible)
    return hidden, next(iter(visible))


async def test_a_duplicate_mrn_beyond_ones_memberships_is_logged_as_an_access(tenant_a):
    hidden, facility = await _unseen_patient(tenant_a)
    before = len(await _log(tenant_a, hidden["id"]))
    probe = {
        "facilityId": facility,
        "mrn": hidden["mrn"],
        "firstName": "Pro",
        "lastName": "Be",
        "dateOfBirth": "1990-01-01",
    }
    created = await tenant_a.query(
        CREATE, {"input": probe}, role="facility_manager", headers={"x-access-reason": "registration"}
    )
    assert created["createPatient"] == {
        "patient": None,
        "errors": [{"field": "input.mrn", "code": "DUPLICATE"}],
    }
    rows = await _log(tenant_a, hidden["id"])
    assert len(rows) == before + 1
    assert rows[0] == {
        "fields": ["duplicate:mrn"],
        "reason": "registration",
        "user": {"email": tenant_a.email("facility_manager")},
    }
    # The same through an update of a patient the manager does see.
    own = await tenant_a.query(CREATE, {"input": {**probe, "mrn": "OWN-PROBE-1"}}, role="facility_manager")
    own_id = own["createPatient"]["patient"]["id"]
    updated = await tenant_a.query(
        UPDATE, {"id": own_id, "input": {"mrn": hidden["mrn"]}}, role="facility_manager"
    )
    assert updated["updatePatient"]["errors"] == [{"field": "input.mrn", "code": "DUPLICATE"}]
    assert len(await _log(tenant_a, hidden["id"])) == before + 2


async def test_a_search_reveals_through_counts_and_page_info_and_is_logged(tenant_a):
    patient = (await tenant_a.query(PATIENTS))["patients"]["nodes"][0]
    before = len(await _log(tenant_a, patient["id"]))
    data = await tenant_a.query(
        "query($m: String!) { patients(first: 0, filter: {mrn: $m}) { totalCount pageInfo { hasNextPage } } }",
        {"m": patient["mrn"]},
        role="manager",
    )
    assert data["patients"] == {"totalCount": 1, "pageInfo": {"hasNextPage": True}}
    rows = await _log(tenant_a, patient["id"])
    assert len(rows) == before + 1 and rows[0]["fields"] == ["search:mrn"]


async def test_every_match_is_logged_not_only_the_page(tenant_a):
    facility = (await tenant_a.query("{ facilities(first: 1) { nodes { id } } }"))["facilities"]["nodes"][0][
        "id"
    ]
    twins = []
    for i in range(3):
        created = await tenant_a.query(
            CREATE,
            {
                "input": {
                    "facilityId": facility,
                    "mrn": f"TWIN-{i}",
                    "firstName": f"Twin{i}",
                    "lastName": "Samename",
                    "dateOfBirth": "1985-03-03",
                }
            },
        )
        twins.append(created["createPatient"]["patient"]["id"])
    search = (
        '{ patients(first: 1, filter: {lastName: "Samename", dateOfBirth: "1985-03-03"}) { nodes { id } } }'
    )
    assert len((await tenant_a.query(search))["patients"]["nodes"]) == 1
    for twin in twins:
        assert ["search:dateOfBirth", "search:lastName"] in [r["fields"] for r in await _log(tenant_a, twin)]


async def test_nested_searches_log_every_match_of_every_parent(tenant_a):
    everyone = (await tenant_a.query(PATIENTS))["patients"]["nodes"]
    target = everyone[1]
    before = len(await _log(tenant_a, target["id"]))
    data = await tenant_a.query(
        """query($m: String!) { facilities(first: 10) { nodes {
             patients(first: 0, filter: {mrn: $m}) { totalCount } } } }""",
        {"m": target["mrn"]},
    )
    assert sum(f["patients"]["totalCount"] for f in data["facilities"]["nodes"]) == 1
    rows = await _log(tenant_a, target["id"])
    assert len(rows) == before + 1 and rows[0]["fields"] == ["search:mrn"]
