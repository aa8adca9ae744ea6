"""Draft orders: created with their parties and details (and items, if given), edited while
draft or needing attention. Numbers come from a per-tenant counter and are never reused."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.crypto import PhiCipher
from app.errors import raise_problem
from app.events import emit
from app.tables import readable
from app.writes import active_row, insert_row
from modules import tenancy
from modules.orders import models as m
from modules.orders.events import ORDER_CREATED, ORDER_UPDATED
from modules.orders.service.details import check_details
from modules.orders.service.items import add_items, totals
from modules.orders.service.workflow import editable, locked_order, record_status, save

NUMBER_PREFIX = "ORD"
PARTIES = ("facility_id", "organization_id", "provider_id", "patient_id", "sales_rep_id")
NOT_NULL = ("type", "request_type")
SEALED = {"subscriber_name": "subscriber_name", "subscriber_date_of_birth": "subscriber_dob"}
DETAILS = (
    "type",
    "request_type",
    "service_date",
    "requested_delivery_date",
    "shipping_speed",
    "delivery_instructions",
    "wound_length_cm",
    "wound_width_cm",
    "wound_depth_cm",
    "previous_treatments",
    "treatment_duration_weeks",
    "place_of_service",
    "snf_status",
    "snf_days",
    "hospice_status",
    "part_a_status",
    "global_period_status",
    "global_period_cpt",
    "global_period_surgery_date",
    "payer_name",
    "payer_identifier",
    "payer_phone",
    "plan_type",
    "network_status",
    "subscriber_relationship",
    "provider_ptan",
    "facility_ptan",
    "mac_jurisdiction",
    "notes",
    "internal_notes",
    "metadata",
)


async def next_number(conn: AsyncConnection, actor: Actor) -> str:
    """The tenant's next order number. The counter's row stays locked until commit, so
    numbers follow creation order; a rolled-back creation gives its number back unseen."""
    counter = m.order_numbers
    stmt = (
        insert(counter)
        .values(tenant_id=actor.tenant_id, last_number=1)
        .on_conflict_do_update(
            index_elements=[counter.c.tenant_id], set_={"last_number": counter.c.last_number + 1}
        )
        .returning(counter.c.last_number)
    )
    number = await conn.scalar(stmt)
    return f"{NUMBER_PREFIX}-{number:06d}"


def _check(values: dict[str, Any], creating: bool) -> None:
    for name in NOT_NULL:
        if name in values and values[name] is None:
            raise_problem(name, "REQUIRED", "This field is required")
    if creating and values.get("facility_id") is None:
        raise_problem("facility_id", "REQUIRED", "This field is required")
    if not creating and "facility_id" in values and values["facility_id"] is None:
        raise_problem("facility_id", "REQUIRED", "An order stays at a facility")
    check_details(values)


async def _parties(conn: AsyncConnection, values: dict[str, Any], current: Any | None) -> dict[str, Any]:
    """The parties' columns, each checked: visible to the caller (row-level security hides
    another tenant's, and facilities outside a narrowed caller's memberships), active, and
    consistent (the facility in the organization, the provider ordering there, the patient
    registered there). Each is
    locked for share, so none is deactivated before the order commits."""
    out: dict[str, Any] = {}
    if current is not None and not any(name in values for name in PARTIES):
        return out
    facility_id = values.get("facility_id", current.facility_id if current else None)
    facility = await active_row(conn, tenancy.facilities, facility_id, "facility_id", "facility", shared=True)
    if "facility_id" in values or "organization_id" in values:
        organization_id = values.get("organization_id") or facility.organization_id
        # An unknown organization (or another tenant's) is NOT_FOUND on its own field first.
        await active_row(
            conn, tenancy.organizations, organization_id, "organization_id", "organization", shared=True
        )
        if organization_id != facility.organization_id:
            raise_problem("facility_id", "INVALID", "The facility is not part of this organization")
        out |= {"facility_id": facility.id, "organization_id": organization_id}
    provider_id = values.get("provider_id", current.provider_id if current else None)
    if provider_id is not None and ("provider_id" in values or "facility_id" in values):
        await active_row(conn, tenancy.providers, provider_id, "provider_id", "provider", shared=True)
        a = tenancy.provider_assignments.c
        assigned = await conn.scalar(
            sa.select(a.id).where(
                a.provider_id == provider_id,
                a.facility_id == facility.id,
                a.status == "active",
                a.can_order.is_(True),
            )
        )
        if assigned is None:
            raise_problem("provider_id", "INVALID", "The provider may not order at this facility")
    if "provider_id" in values:
        out["provider_id"] = values["provider_id"]
    patient_id = values.get("patient_id", current.patient_id if current else None)
    if patient_id is not None and ("patient_id" in values or "facility_id" in values):
        # Registered at the order's facility: whoever sees the order (narrowed to it) may
        # see the patient, and the subscriber details sealed on the order with them.
        patient = await active_row(conn, tenancy.patients, patient_id, "patient_id", "patient", shared=True)
        if patient.facility_id != facility.id:
            raise_problem("patient_id", "INVALID", "The patient is not registered at this facility")
    if values.get("sales_rep_id") is not None:
        await active_row(conn, m.sales_reps, values["sales_rep_id"], "sales_rep_id", "sales rep", shared=True)
    for name in ("patient_id", "sales_rep_id"):
        if name in values:
            out[name] = values[name]
    return out


def _sealed(
    cipher: PhiCipher, order_id: uuid.UUID, values: dict[str, Any], patient_id: uuid.UUID | None
) -> dict[str, Any]:
    """The subscriber's name and date of birth are PHI: sealed like a patient's, and only
    kept for an order that names its patient (their reads are logged against the patient)."""
    out: dict[str, Any] = {}
    for name, column in SEALED.items():
        if name not in values:
            continue
        value = values[name]
        if value is not None and patient_id is None:
            raise_problem(name, "REQUIRED", "Name the order's patient before the subscriber's details")
        text = value.isoformat() if hasattr(value, "isoformat") else value
        sealed = None if text is None else cipher.seal(text.strip(), row_id=str(order_id), column=column)
        out[f"{column}_enc"] = sealed
    return out


async def create_order(conn: AsyncConnection, actor: Actor, values: dict[str, Any], cipher: PhiCipher) -> Any:
    _check(values, creating=True)
    items = values.pop("items", None) or []
    columns = await _parties(conn, values, None)
    order_id = uuid.uuid4()
    columns |= _sealed(cipher, order_id, values, columns.get("patient_id"))
    columns |= {k: values[k] for k in DETAILS if k in values}
    columns |= {"id": order_id, "order_number": await next_number(conn, actor)}
    columns["created_by_user_id"] = actor.user_id
    order = await insert_row(conn, actor, m.orders, "Order", columns)
    await record_status(conn, actor, order, None)
    await emit(
        conn, actor, ORDER_CREATED, "Order", order.id, {"facility_id": order.facility_id, "status": "draft"}
    )
    if items:
        await add_items(conn, actor, order, items, field="items")
        update = sa.update(m.orders).where(m.orders.c.id == order.id).values(totals())
        order = (await conn.execute(update.returning(*readable(m.orders)))).one()
    return order


async def update_order(conn: AsyncConnection, actor: Actor, values: dict[str, Any], cipher: PhiCipher) -> Any:
    pk, version = values.pop("id", None), values.pop("version", None)
    _check(values, creating=False)
    before = await locked_order(conn, pk, version)
    editable(before)
    columns = await _parties(conn, values, before)
    patient_id = columns.get("patient_id", before.patient_id)
    if patient_id is None and "patient_id" in columns:
        columns |= {"subscriber_name_enc": None, "subscriber_dob_enc": None}  # gone with the patient
    columns |= _sealed(cipher, before.id, values, patient_id)
    columns |= {k: values[k] for k in DETAILS if k in values}
    after = await save(conn, actor, before, columns)
    await emit(
        conn,
        actor,
        ORDER_UPDATED,
        "Order",
        after.id,
        {"facility_id": after.facility_id, "status": after.status},
    )
    return after
