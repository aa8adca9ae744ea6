"""Patients: demographics sealed with AES-GCM, found through blind indexes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.crypto import PhiCipher
from app.errors import Problems
from app.events import emit
from app.validators import Check
from app.writes import active_row, existing_row, insert_row, soft_delete, update_row
from modules.tenancy import events as ev
from modules.tenancy import models as m

PATIENT_UNIQUE = {"patients_tenant_id_mrn_index_key": "input.mrn"}
PHI_FIELDS = ("mrn", "first_name", "last_name", "date_of_birth", "sex", "phone", "email")
REQUIRED = ("mrn", "first_name", "last_name", "date_of_birth")


def _check(values: dict[str, Any], creating: bool) -> None:
    problems = Problems()
    check = Check(problems)
    check.present(values, REQUIRED, REQUIRED, creating)
    check.text("mrn", values.get("mrn"), max_len=40)
    check.text("first_name", values.get("first_name"), max_len=100)
    check.text("last_name", values.get("last_name"), max_len=100)
    check.phone("phone", values.get("phone"))
    check.email("email", values.get("email"))
    born = values.get("date_of_birth")
    if born is not None and not dt.date(1900, 1, 1) <= born <= dt.date.today():
        problems.add("input.date_of_birth", "INVALID", "Date of birth must be between 1900 and today")
    problems.raise_if_any()


def _sealed(
    cipher: PhiCipher, pk: uuid.UUID, values: dict[str, Any], current: dict[str, Any]
) -> dict[str, Any]:
    """Column values for the PHI given, plus the blind indexes they change."""
    out: dict[str, Any] = {}
    for name in PHI_FIELDS:
        if name not in values:
            continue
        value = values[name]
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif value is not None and hasattr(value, "value"):
            value = value.value  # an enum such as Sex
        elif isinstance(value, str):
            value = value.strip()
        current[name] = value
        out[f"{name}_enc"] = cipher.seal(value, row_id=str(pk), column=name)
    if "mrn" in values:
        out["mrn_index"] = cipher.blind_index(current["mrn"])
    if "last_name" in values or "date_of_birth" in values:
        out["name_dob_index"] = cipher.blind_index(current["last_name"], current["date_of_birth"])
    return out


async def _visible_facility(conn: AsyncConnection, facility_id: uuid.UUID | None) -> None:
    await active_row(conn, m.facilities, facility_id, "facilityId", "facility")


async def create_patient(
    conn: AsyncConnection, actor: Actor, cipher: PhiCipher, values: dict[str, Any]
) -> Any:
    _check(values, creating=True)
    await _visible_facility(conn, values.get("facility_id"))
    pk = uuid.uuid4()
    sealed = _sealed(cipher, pk, values, {})
    row = await insert_row(
        conn, actor, m.patients, "Patient", {"id": pk, "facility_id": values["facility_id"], **sealed}
    )
    await emit(conn, actor, ev.PATIENT_REGISTERED, "Patient", pk, {"facility_id": row.facility_id})
    return row


async def update_patient(
    conn: AsyncConnection, actor: Actor, cipher: PhiCipher, pk: uuid.UUID | None, values: dict[str, Any]
) -> Any:
    _check(values, creating=False)
    before = await existing_row(conn, m.patients, pk, "patient")
    changes: dict[str, Any] = {}
    if "facility_id" in values:
        await _visible_facility(conn, values["facility_id"])
        changes["facility_id"] = values["facility_id"]
    current = {
        name: cipher.open(before._mapping[f"{name}_enc"], row_id=str(before.id), column=name)
        for name in ("last_name", "date_of_birth")
    }
    changes |= _sealed(cipher, before.id, values, current)
    if "status" in values and values["status"] is not None:
        changes["status"] = values["status"]
    return await update_row(conn, actor, m.patients, "Patient", before, changes)


async def holder_of_mrn(conn: AsyncConnection, cipher: PhiCipher, mrn: str) -> uuid.UUID | None:
    """The patient of this tenant who holds `mrn`, whichever facilities the caller sees.

    Duplicate detection has to look past memberships (an MRN is unique in the tenant), so
    its answer tells that the MRN exists: the caller logs it as an access of that patient.
    """
    index = cipher.blind_index(mrn.strip())
    return await conn.scalar(sa.select(sa.func.patient_with_mrn_index(index)))


async def deactivate_patient(conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None) -> Any:
    row, changed = await soft_delete(conn, actor, m.patients, "Patient", pk, "patient")
    if changed:
        await emit(conn, actor, ev.PATIENT_DEACTIVATED, "Patient", row.id)
    return row
