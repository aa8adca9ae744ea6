"""Manufacturers, their settings (one row each, made with the manufacturer) and their
contact lists (one per purpose)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.errors import Problems, raise_not_found
from app.events import emit
from app.validators import Check
from app.writes import active_row, delete_row, existing_row, insert_row, lock_row, soft_delete, update_row
from modules.products import models as m
from modules.products.events import MANUFACTURER_CREATED, MANUFACTURER_DEACTIVATED, MANUFACTURER_UPDATED
from modules.products.service.checks import URL, check_emails, check_money, check_words

MANUFACTURER_UNIQUE = {"manufacturers_tenant_id_name_key": "input.name"}


def _check_manufacturer(values: dict[str, Any], creating: bool) -> None:
    problems = Problems()
    check = Check(problems)
    check.present(values, ("name", "type", "status", "contact_info"), ("name",), creating)
    check.text("name", values.get("name"))
    check.email("email", values.get("email"))
    check.phone("phone", values.get("phone"))
    check.pattern("website", values.get("website"), URL, "http(s) URL")
    check.json_object("contact_info", values.get("contact_info"))
    problems.raise_if_any()


async def create_manufacturer(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    _check_manufacturer(values, creating=True)
    row = await insert_row(
        conn, actor, m.manufacturers, "Manufacturer", {**values, "name": values["name"].strip()}
    )
    await conn.execute(sa.insert(m.manufacturer_settings).values(id=row.id, tenant_id=actor.tenant_id))
    await emit(conn, actor, MANUFACTURER_CREATED, "Manufacturer", row.id)
    return row


async def update_manufacturer(
    conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None, values: dict[str, Any]
) -> Any:
    _check_manufacturer(values, creating=False)
    before = await existing_row(conn, m.manufacturers, pk, "manufacturer")
    if "name" in values:
        values = {**values, "name": values["name"].strip()}
    row = await update_row(conn, actor, m.manufacturers, "Manufacturer", before, values)
    await emit(conn, actor, MANUFACTURER_UPDATED, "Manufacturer", row.id)
    return row


async def deactivate_manufacturer(conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None) -> Any:
    """Soft delete; its products stay (orders name them) but a deactivated maker takes no new ones."""
    row, changed = await soft_delete(conn, actor, m.manufacturers, "Manufacturer", pk, "manufacturer")
    if changed:
        await emit(conn, actor, MANUFACTURER_DEACTIVATED, "Manufacturer", row.id)
    return row


def _check_settings(values: dict[str, Any]) -> None:
    problems = Problems()
    check = Check(problems)
    not_null = (
        "submission_method",
        "submission_config",
        "primary_contacts",
        "cc_contacts",
        "verification_required",
        "verification_documents",
        "onboarding_documents",
        "requires_owner_signature",
        "lead_time_days",
    )
    check.present(values, not_null)
    check.json_object("submission_config", values.get("submission_config"))
    check_emails(check, "primary_contacts", values.get("primary_contacts"))
    check_emails(check, "cc_contacts", values.get("cc_contacts"))
    check_words(check, "verification_documents", values.get("verification_documents"))
    check_words(check, "onboarding_documents", values.get("onboarding_documents"))
    check_money(check, "minimum_order_amount", values.get("minimum_order_amount"))
    days = values.get("lead_time_days")
    if days is not None and not 0 <= days <= 365:
        problems.add("input.leadTimeDays", "NEGATIVE" if days < 0 else "INVALID", "From 0 to 365 days")
    problems.raise_if_any()


async def update_settings(
    conn: AsyncConnection, actor: Actor, manufacturer_id: uuid.UUID | None, values: dict[str, Any]
) -> Any:
    """The manufacturer's settings; answers with the manufacturer."""
    _check_settings(values)
    maker = await existing_row(conn, m.manufacturers, manufacturer_id, "manufacturer")
    before = await lock_row(conn, m.manufacturer_settings, maker.id)
    if before is None:  # made with the manufacturer; absent only if removed by hand
        raise_not_found("manufacturerId", "manufacturer settings")
    await update_row(conn, actor, m.manufacturer_settings, "ManufacturerSettings", before, values)
    await emit(conn, actor, MANUFACTURER_UPDATED, "Manufacturer", maker.id)
    return maker


def _check_contact(values: dict[str, Any]) -> None:
    problems = Problems()
    check = Check(problems)
    check.present(values, ("primary_recipients", "cc_recipients"))
    check_emails(check, "primary_recipients", values.get("primary_recipients"))
    check_emails(check, "cc_recipients", values.get("cc_recipients"))
    check.text("notes", values.get("notes"), max_len=2000)
    problems.raise_if_any()


async def set_contact(
    conn: AsyncConnection,
    actor: Actor,
    manufacturer_id: uuid.UUID | None,
    purpose: str,
    values: dict[str, Any],
) -> Any:
    """Create or replace the manufacturer's contact list for one purpose."""
    _check_contact(values)
    # Locked for update: two lists set for one purpose at once are made one after the other.
    maker = await active_row(conn, m.manufacturers, manufacturer_id, "manufacturerId", "manufacturer")
    c = m.manufacturer_contacts.c
    before = (
        await conn.execute(
            sa.select(m.manufacturer_contacts)
            .where(c.manufacturer_id == maker.id, c.purpose == purpose)
            .with_for_update()
        )
    ).first()
    values = {**values, "updated_by": actor.user_id}
    if before is None:
        values = {"manufacturer_id": maker.id, "purpose": purpose, **values}
        return await insert_row(conn, actor, m.manufacturer_contacts, "ManufacturerContact", values)
    return await update_row(conn, actor, m.manufacturer_contacts, "ManufacturerContact", before, values)


async def remove_contact(conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None) -> Any:
    before = await existing_row(conn, m.manufacturer_contacts, pk, "contact list")
    return await delete_row(conn, actor, m.manufacturer_contacts, "ManufacturerContact", before)
