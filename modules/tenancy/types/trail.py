"""The trails: the audit log (every change) and the PHI access log (every PHI read)."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON

from app.tables import audit_log, phi_access_log
from modules.tenancy.types.listings import AUDIT, PHI_ACCESS
from modules.tenancy.types.refs import UserRef
from schema.entities import entity, global_id_of, to_one
from schema.relay import Node


@entity(
    audit_log,
    node="audit.read",
    columns={"entity_id": global_id_of(column="entity_id", type_column="entity_type")},
    listing=AUDIT,
)
@strawberry.type(description="One change made through the API, with before/after values (PHI redacted).")
class AuditEntry(Node):
    action: str
    entity_type: str
    entity_id: strawberry.ID | None
    changes: JSON
    request_id: str | None
    created_at: dt.datetime

    actor: UserRef | None = to_one("actor_user_id", requires="users.read", description="Needs users.read.")


@entity(
    phi_access_log,
    node="audit.read",
    columns={"patient_id": global_id_of("Patient", "patient_id")},
    listing=PHI_ACCESS,
)
@strawberry.type(description="One request's reads of one patient's PHI.")
class PhiAccessEntry(Node):
    patient_id: strawberry.ID
    fields: list[str]
    action: str
    reason: str
    operation_name: str | None
    operation_hash: str
    request_id: str | None
    accessed_at: dt.datetime

    user: UserRef | None = to_one("user_id", requires="users.read", description="Needs users.read.")
