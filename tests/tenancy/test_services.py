"""Services tested directly, below GraphQL: validation, PHI sealing and blind indexes, audit."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from app.audit import Actor
from app.db import tenant_transaction
from app.errors import InputInvalid
from app.tables import audit_log
from app.validators import npi_is_valid
from modules.tenancy import models as m
from modules.tenancy.service import organizations, patients


@pytest.mark.parametrize(
    ("npi", "valid"),
    [
        ("1234567893", True),
        ("1245319599", True),
        ("1234567890", False),
        ("123456789", False),
        ("12345678a3", False),
    ],
)
def test_npi_check_digit(npi, valid):
    assert npi_is_valid(npi) is valid


async def test_create_organization_reports_every_problem_at_once(api_engine, tenant_a, cipher):
    actor = Actor(tenant_a.id, None)
    async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
        with pytest.raises(InputInvalid) as raised:
            await organizations.create_organization(
                conn, actor, cipher, {"name": " ", "email": "x", "phone": "?"}
            )
    assert {(p.field, p.code) for p in raised.value.problems} == {
        ("input.name", "REQUIRED"),
        ("input.email", "INVALID"),
        ("input.phone", "INVALID"),
    }


async def test_patient_update_reseals_and_reindexes(api_engine, tenant_a, cipher):
    actor = Actor(tenant_a.id, None)
    async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
        facility = await conn.scalar(sa.select(m.facilities.c.id).limit(1))
        row = await patients.create_patient(
            conn,
            actor,
            cipher,
            {
                "facility_id": facility,
                "mrn": "SVC-1",
                "first_name": "Grace",
                "last_name": "Hopper",
                "date_of_birth": dt.date(1906, 12, 9),
            },
        )
        assert row.name_dob_index == cipher.blind_index("Hopper", "1906-12-09")
        updated = await patients.update_patient(conn, actor, cipher, row.id, {"last_name": "Murray"})
        assert updated.name_dob_index == cipher.blind_index("murray", "1906-12-09")
        assert updated.mrn_index == row.mrn_index
        assert cipher.open(updated.last_name_enc, row_id=str(row.id), column="last_name") == "Murray"
        # Ciphertext is bound to its row and column: moved elsewhere, it does not open.
        with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
            cipher.open(updated.last_name_enc, row_id=str(uuid.uuid4()), column="last_name")
        with pytest.raises(Exception):  # noqa: B017
            cipher.open(updated.last_name_enc, row_id=str(row.id), column="first_name")
        audit = (
            await conn.execute(
                sa.select(audit_log.c.changes).where(
                    audit_log.c.entity_id == row.id, audit_log.c.action == "patient.update"
                )
            )
        ).scalar_one()
        assert audit["after"]["last_name_enc"] == "[redacted]"
        assert "Murray" not in str(audit) and "Hopper" not in str(audit)


async def test_facility_needs_an_active_organization(api_engine, tenant_a):
    actor = Actor(tenant_a.id, None)
    async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
        org = await conn.scalar(sa.select(m.organizations.c.id).limit(1))
        await organizations.deactivate_organization(conn, actor, org)
        with pytest.raises(InputInvalid) as raised:
            await organizations.create_facility(
                conn, actor, {"organization_id": org, "name": "Late", "type": "clinic", "timezone": "UTC"}
            )
        assert raised.value.problems[0].code == "INACTIVE"
        still_active = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(m.facilities)
            .where(m.facilities.c.organization_id == org, m.facilities.c.deactivated_at.is_(None))
        )
        assert still_active == 0
