"""PHI: encrypted at rest, found by blind index, permission-gated, logged per patient and request."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
import structlog
from sqlalchemy.exc import ProgrammingError

from app.crypto import PhiCipher
from app.db import tenant_transaction
from app.tables import audit_log
from modules.tenancy import models as m

CREATE = """mutation($input: PatientInput!) {
  createPatient(input: $input) { patient { id mrn firstName lastName dateOfBirth sex } errors { field code message } }
}"""


async def _facility_id(tenant) -> str:
    data = await tenant.query("{ facilities(first: 1) { nodes { id } } }")
    return data["facilities"]["nodes"][0]["id"]


async def test_demographics_are_encrypted_at_rest(tenant_a, owner_engine):
    facility = await _facility_id(tenant_a)
    created = await tenant_a.query(
        CREATE,
        {
            "input": {
                "facilityId": facility,
                "mrn": "SECRET-MRN-77",
                "firstName": "Philippa",
                "lastName": "Quartermaine",
                "dateOfBirth": "1971-05-04",
                "sex": "FEMALE",
            }
        },
    )
    patient = created["createPatient"]["patient"]
    assert patient["firstName"] == "Philippa" and patient["lastName"] == "Quartermaine"
    async with tenant_transaction(owner_engine, str(tenant_a.id)) as conn:
        row = (
            await conn.execute(
                sa.select(m.patients)
                .where(m.patients.c.mrn_index.isnot(None))
                .order_by(m.patients.c.created_at.desc())
                .limit(1)
            )
        ).one()
    raw = b"".join(bytes(v) for k, v in row._mapping.items() if k.endswith(("_enc", "_index")) and v)
    for plaintext in (b"Philippa", b"Quartermaine", b"SECRET-MRN-77", b"1971-05-04", b"female"):
        assert plaintext not in raw
    assert bytes(row.first_name_enc) != b"Philippa"


async def test_find_by_mrn_and_by_last_name_with_birth_date(tenant_a):
    facility = await _facility_id(tenant_a)
    await tenant_a.query(
        CREATE,
        {
            "input": {
                "facilityId": facility,
                "mrn": "FIND-ME-1",
                "firstName": "Ada",
                "lastName": "Lovelace",
                "dateOfBirth": "1980-12-10",
            }
        },
    )
    by_mrn = await tenant_a.query('{ patients(filter: {mrn: "FIND-ME-1"}) { nodes { firstName } } }')
    assert by_mrn["patients"]["nodes"] == [{"firstName": "Ada"}]
    by_name = await tenant_a.query(
        '{ patients(filter: {lastName: "  lovelace ", dateOfBirth: "1980-12-10"}) { nodes { mrn } } }'
    )
    assert by_name["patients"]["nodes"] == [{"mrn": "FIND-ME-1"}]
    none = await tenant_a.query(
        '{ patients(filter: {lastName: "Lovelace", dateOfBirth: "1980-12-11"}) { totalCount } }'
    )
    assert none["patients"]["totalCount"] == 0


async def test_phi_needs_read_phi_permission(tenant_a):
    result = await tenant_a.raw("{ patients(first: 2) { nodes { id status firstName } } }", role="viewer")
    assert result["data"]["patients"]["nodes"][0]["id"]
    assert result["data"]["patients"]["nodes"][0]["firstName"] is None
    assert {e["extensions"]["code"] for e in result["errors"]} == {"FORBIDDEN"}
    log = await tenant_a.query("{ phiAccessLog { totalCount } }")
    assert log["phiAccessLog"]["totalCount"] == 0


async def test_one_access_row_per_patient_per_request_with_aliases(tenant_a):
    query = """query Chart {
      first: patients(first: 3) { nodes { id firstName } }
      again: patients(first: 3) { nodes { id last: lastName born: dateOfBirth } }
    }"""
    data = await tenant_a.query(query, headers={"x-access-reason": "treatment"})
    patient_ids = {n["id"] for n in data["first"]["nodes"]}
    assert len(patient_ids) == 3
    log = await tenant_a.query(
        "{ phiAccessLog(first: 50) { nodes { patientId fields reason operationName operationHash } } }"
    )
    rows = log["phiAccessLog"]["nodes"]
    assert {r["patientId"] for r in rows} == patient_ids
    assert len(rows) == 3
    for row in rows:
        assert row["fields"] == ["date_of_birth", "first_name", "last_name"]
        assert row["reason"] == "treatment"
        assert row["operationName"] == "Chart"
        assert row["operationHash"] == hashlib.sha256(query.encode()).hexdigest()


async def test_api_role_may_append_but_never_rewrite_logs(tenant_a, api_engine):
    await tenant_a.query("{ patients(first: 1) { nodes { firstName } } }")
    for table in ("audit_log", "phi_access_log"):
        for statement in (f"UPDATE {table} SET request_id = 'x'", f"DELETE FROM {table}"):
            with pytest.raises(ProgrammingError, match="permission denied"):
                async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
                    await conn.execute(sa.text(statement))
    async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
        await conn.execute(
            sa.insert(audit_log).values(
                tenant_id=tenant_a.id, action="test.append", entity_type="Test", changes={}
            )
        )


async def test_phi_never_reaches_errors_or_logs(tenant_a, monkeypatch):
    """A resolver failing on a patient, with PHI in the exception message."""
    original = PhiCipher.open

    def failing_open(self, sealed, *, row_id, column):
        value = original(self, sealed, row_id=row_id, column=column)
        if column == "last_name":
            raise RuntimeError(f"cannot render patient {value}")
        return value

    names = await tenant_a.query("{ patients(first: 5) { nodes { lastName: id } } }")
    assert names
    secret_names = []
    monkeypatch.setattr(PhiCipher, "open", failing_open)
    with structlog.testing.capture_logs() as logs:
        result = await tenant_a.raw("{ patients(first: 5) { nodes { id firstName lastName } } }")
    monkeypatch.setattr(PhiCipher, "open", original)
    plain = await tenant_a.query("{ patients(first: 5) { nodes { lastName } } }")
    secret_names = [n["lastName"] for n in plain["patients"]["nodes"]]
    text = repr(result) + repr(logs)
    assert result["errors"]
    assert all(e["message"].startswith("Unexpected error (request id") for e in result["errors"])
    assert any(entry.get("event") == "unexpected_error" for entry in logs)
    for name in secret_names:
        assert name not in text


async def test_searching_by_phi_needs_read_phi_and_is_logged(tenant_a):
    patient = (await tenant_a.query("{ patients(first: 1) { nodes { id mrn } } }"))["patients"]["nodes"][0]
    search = "query($mrn: String!) { patients(filter: {mrn: $mrn}) { nodes { id } } }"
    refused = await tenant_a.raw(search, {"mrn": patient["mrn"]}, role="viewer")
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert patient["mrn"] not in repr(refused)
    found = await tenant_a.query(search, {"mrn": patient["mrn"]}, role="manager")
    assert found["patients"]["nodes"] == [{"id": patient["id"]}]
    log = await tenant_a.query(
        "query($id: ID!) { phiAccessLog(first: 50, patientId: $id) { nodes { fields } } }",
        {"id": patient["id"]},
    )
    assert ["search:mrn"] in [n["fields"] for n in log["phiAccessLog"]["nodes"]]
