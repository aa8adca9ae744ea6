"""Organizations and facilities: the tenant's customers and their locations."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.crypto import PhiCipher
from app.errors import Problems
from app.validators import Check
from app.writes import active_row, existing_row, insert_row, soft_delete, update_row
from modules.tenancy import models as m

ORG_UNIQUE = {"organizations_tenant_id_name_key": "input.name"}
FACILITY_UNIQUE = {"facilities_tenant_id_npi_key": "input.npi"}


def _check_organization(values: dict[str, Any], creating: bool) -> None:
    problems = Problems()
    check = Check(problems)
    check.present(values, ("name", "type", "status", "settings"), ("name",), creating)
    check.text("name", values.get("name"))
    check.email("email", values.get("email"))
    check.phone("phone", values.get("phone"))
    check.text("tax_id", values.get("tax_id"), max_len=20)
    check.json_object("settings", values.get("settings"))
    problems.raise_if_any()


def _seal_tax_id(values: dict[str, Any], cipher: PhiCipher, pk: uuid.UUID) -> dict[str, Any]:
    if "tax_id" not in values:
        return values
    values = dict(values)
    values["tax_id_enc"] = cipher.seal(values.pop("tax_id"), row_id=str(pk), column="tax_id")
    return values


async def create_organization(
    conn: AsyncConnection, actor: Actor, cipher: PhiCipher, values: dict[str, Any]
) -> Any:
    _check_organization(values, creating=True)
    pk = uuid.uuid4()
    values = _seal_tax_id({**values, "name": values["name"].strip()}, cipher, pk)
    return await insert_row(conn, actor, m.organizations, "Organization", {"id": pk, **values})


async def update_organization(
    conn: AsyncConnection, actor: Actor, cipher: PhiCipher, pk: uuid.UUID | None, values: dict[str, Any]
) -> Any:
    _check_organization(values, creating=False)
    before = await existing_row(conn, m.organizations, pk, "organization")
    return await update_row(
        conn, actor, m.organizations, "Organization", before, _seal_tax_id(values, cipher, before.id)
    )


async def deactivate_organization(conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None) -> Any:
    """Soft delete: the organization and its facilities stop appearing in lists."""
    row, changed = await soft_delete(conn, actor, m.organizations, "Organization", pk, "organization")
    if not changed:
        return row
    for facility in (
        await conn.execute(
            sa.select(m.facilities)
            .where(m.facilities.c.organization_id == pk, m.facilities.c.deactivated_at.is_(None))
            .with_for_update()
        )
    ).all():
        await update_row(
            conn,
            actor,
            m.facilities,
            "Facility",
            facility,
            {"status": "inactive", "deactivated_at": sa.func.now()},
            "deactivate",
        )
    return row


def _check_facility(values: dict[str, Any], creating: bool) -> None:
    problems = Problems()
    check = Check(problems)
    not_null = ("name", "timezone", "type", "status", "is_ship_to", "is_bill_to")
    check.present(values, not_null, ("name",), creating)
    check.text("name", values.get("name"))
    check.npi("npi", values.get("npi"))
    check.text("identifier", values.get("identifier"), max_len=50)
    check.timezone("timezone", values.get("timezone"))
    check.phone("phone", values.get("phone"))
    check.email("email", values.get("email"))
    problems.raise_if_any()


async def create_facility(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    _check_facility(values, creating=True)
    await active_row(conn, m.organizations, values.get("organization_id"), "organizationId", "organization")
    return await insert_row(conn, actor, m.facilities, "Facility", values)


async def update_facility(
    conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None, values: dict[str, Any]
) -> Any:
    _check_facility(values, creating=False)
    before = await existing_row(conn, m.facilities, pk, "facility")
    return await update_row(conn, actor, m.facilities, "Facility", before, values)


async def deactivate_facility(conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None) -> Any:
    return (await soft_delete(conn, actor, m.facilities, "Facility", pk, "facility"))[0]
