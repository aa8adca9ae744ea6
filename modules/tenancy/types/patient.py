"""Patients. Their demographics are PHI: sealed in the database, opened only for readers
with patients.read_phi, and every read is logged per patient and request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.types import Info

from modules.tenancy import models as m
from modules.tenancy.phi import open_phi
from modules.tenancy.types.enums import ActiveStatus, Sex
from modules.tenancy.types.listings import PATIENTS
from modules.tenancy.types.refs import FacilityRef
from schema.entities import entity, to_one
from schema.relay import Node


def _open(root: Patient, info: Info, field: str) -> str | None:
    """Open one PHI field: needs patients.read_phi, and is recorded for the access log."""
    row = root.row
    return open_phi(info, row.id, field, getattr(row, f"{field}_enc"), row_id=str(row.id), column=field)


def phi(field: str, description: str = "PHI.", parse: Callable[[str], Any] | None = None) -> Any:
    """A PHI field: opened from its sealed column `<field>_enc` for readers who may."""

    def resolve(root: Patient, info: Info) -> Any:
        value = _open(root, info, field)
        return parse(value) if parse is not None and value else value

    return strawberry.field(resolver=resolve, description=description)


@entity(m.patients, node="patients.read", listing=PATIENTS)
@strawberry.type(
    description="A patient. Demographics are PHI: reading them needs "
    "patients.read_phi and is logged per patient and request."
)
class Patient(Node):
    status: ActiveStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    deactivated_at: dt.datetime | None

    mrn: str | None = phi("mrn", "Medical record number (PHI).")
    first_name: str | None = phi("first_name")
    last_name: str | None = phi("last_name")
    date_of_birth: dt.date | None = phi("date_of_birth", parse=dt.date.fromisoformat)
    sex: Sex | None = phi("sex", parse=Sex)
    phone: str | None = phi("phone")
    email: str | None = phi("email")
    facility: FacilityRef | None = to_one(
        "facility_id", requires="tenancy.read", description="Needs tenancy.read."
    )
