"""Providers, the addresses of organizations, facilities and providers, providers'
assignments to facilities, and the tenant's own name, settings and features."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.errors import Problems, raise_not_found
from app.validators import POSTAL, TAXONOMY, Check
from app.writes import existing_row, insert_row, lock_row, soft_delete, update_row
from modules.tenancy import models as m

PROVIDER_UNIQUE = {"providers_tenant_id_npi_key": "input.npi"}
ASSIGNMENT_UNIQUE = {"provider_assignments_tenant_id_facility_id_provider_id_key": "input.providerId"}

PROVIDER_REQUIRED = ("first_name", "last_name", "credentials", "npi")
PROVIDER_TEXT = {"first_name": 100, "last_name": 100, "middle_name": 100, "suffix": 20, "credentials": 50}
ADDRESS_REQUIRED = ("address_type", "street_1", "city", "state_province", "postal_code")
ADDRESS_TEXT = {"street_1": 200, "street_2": 200, "city": 100, "state_province": 100}
ASSIGNMENT_NOT_NULL = ("is_primary_location", "can_order", "status", "start_date")
COUNTRY = re.compile(r"^[A-Z]{2,3}$")
# The types an address may belong to: their table and the owner_type stored.
ADDRESS_OWNERS = {
    "Organization": (m.organizations, "organization"),
    "Facility": (m.facilities, "facility"),
    "Provider": (m.providers, "provider"),
}


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _stripped(values: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    names = set(names)
    return {k: (v.strip() if k in names and isinstance(v, str) else v) for k, v in values.items()}


# Providers


async def _check_provider(conn: AsyncConnection, values: dict[str, Any], creating: bool) -> None:
    problems = Problems()
    check = Check(problems)
    check.present(values, (*PROVIDER_REQUIRED, "status"), PROVIDER_REQUIRED, creating)
    for name, max_len in PROVIDER_TEXT.items():
        check.text(name, values.get(name), max_len=max_len)
    check.npi("npi", values.get("npi"))
    check.pattern("taxonomy_code", values.get("taxonomy_code"), TAXONOMY, "taxonomy code (10 characters)")
    check.email("contact_email", values.get("contact_email"))
    check.phone("contact_phone", values.get("contact_phone"))
    user_id = values.get("user_id")
    if user_id is not None and await lock_row(conn, m.users, user_id) is None:
        check.not_found("user_id", "user")
    problems.raise_if_any()


async def create_provider(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    await _check_provider(conn, values, creating=True)
    values = _stripped(values, [*PROVIDER_TEXT, "contact_email", "contact_phone"])
    return await insert_row(conn, actor, m.providers, "Provider", values)


async def update_provider(
    conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None, values: dict[str, Any]
) -> Any:
    await _check_provider(conn, values, creating=False)
    before = await existing_row(conn, m.providers, pk, "provider")
    values = _stripped(values, [*PROVIDER_TEXT, "contact_email", "contact_phone"])
    return await update_row(conn, actor, m.providers, "Provider", before, values)


async def deactivate_provider(conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None) -> Any:
    """Soft delete: the provider stops appearing in lists and its active assignments end."""
    row, changed = await soft_delete(conn, actor, m.providers, "Provider", pk, "provider")
    if not changed:
        return row
    t = m.provider_assignments
    for assignment in (
        await conn.execute(
            sa.select(t).where(t.c.provider_id == row.id, t.c.status == "active").with_for_update()
        )
    ).all():
        await _end_assignment(conn, actor, assignment)
    return row


# Addresses


def _check_address(values: dict[str, Any], creating: bool, problems: Problems) -> None:
    check = Check(problems)
    check.present(values, (*ADDRESS_REQUIRED, "country_code", "is_primary"), ADDRESS_REQUIRED, creating)
    for name, max_len in ADDRESS_TEXT.items():
        check.text(name, values.get(name), max_len=max_len)
    check.pattern("postal_code", values.get("postal_code"), POSTAL, "postal code")
    country = values.get("country_code")
    if country is not None and not COUNTRY.fullmatch(country):
        problems.add("input.country_code", "INVALID", "Not a country code (2 or 3 uppercase letters)")


async def _address_owner(
    conn: AsyncConnection, owner: tuple[str, uuid.UUID] | None, problems: Problems
) -> str | None:
    """The owner_type to store, or None after adding the problem with ownerId."""
    if owner is None:
        problems.add("input.owner_id", "REQUIRED", "This field is required")
        return None
    table, owner_type = ADDRESS_OWNERS.get(owner[0], (None, ""))
    row = await lock_row(conn, table, owner[1]) if table is not None else None
    if row is None:
        problems.add("input.owner_id", "NOT_FOUND", "No organization, facility or provider with this ID")
        return None
    if row.deactivated_at is not None:
        problems.add("input.owner_id", "INACTIVE", f"The {owner_type} is deactivated")
        return None
    return owner_type


async def create_address(
    conn: AsyncConnection, actor: Actor, owner: tuple[str, uuid.UUID] | None, values: dict[str, Any]
) -> Any:
    """An address of an organization, facility or provider (`owner`: type name and key)."""
    problems = Problems()
    _check_address(values, True, problems)
    owner_type = await _address_owner(conn, owner, problems)
    problems.raise_if_any()
    assert owner is not None and owner_type is not None
    values = {"country_code": "USA", **_stripped(values, [*ADDRESS_TEXT, "postal_code"])}
    return await insert_row(
        conn, actor, m.addresses, "Address", {**values, "owner_type": owner_type, "owner_id": owner[1]}
    )


async def update_address(
    conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None, values: dict[str, Any]
) -> Any:
    problems = Problems()
    _check_address(values, False, problems)
    problems.raise_if_any()
    before = await existing_row(conn, m.addresses, pk, "address")
    values = _stripped(values, [*ADDRESS_TEXT, "postal_code"])
    return await update_row(conn, actor, m.addresses, "Address", before, values)


async def deactivate_address(conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None) -> Any:
    return (await soft_delete(conn, actor, m.addresses, "Address", pk, "address"))[0]


# Provider assignments


def _check_dates(start: dt.date, end: dt.date | None, problems: Problems) -> None:
    if end is not None and end < start:
        problems.add("input.end_date", "INVALID", "The end date must not be before the start date")


async def _active_row(
    conn: AsyncConnection, table: sa.Table, pk: uuid.UUID | None, field: str, what: str, problems: Problems
) -> None:
    if pk is None:
        problems.add(f"input.{field}", "REQUIRED", "This field is required")
        return
    row = await lock_row(conn, table, pk)
    if row is None:
        problems.add(f"input.{field}", "NOT_FOUND", f"No {what} with this ID")
    elif row.deactivated_at is not None:
        problems.add(f"input.{field}", "INACTIVE", f"The {what} is deactivated")


async def assign_provider(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    """Assign a provider to a facility; one assignment per pair (DUPLICATE otherwise)."""
    problems = Problems()
    Check(problems).present(values, ASSIGNMENT_NOT_NULL)
    values = {k: v for k, v in values.items() if v is not None or k == "end_date"}
    values.setdefault("start_date", _today())
    _check_dates(values["start_date"], values.get("end_date"), problems)
    await _active_row(conn, m.facilities, values.get("facility_id"), "facility_id", "facility", problems)
    await _active_row(conn, m.providers, values.get("provider_id"), "provider_id", "provider", problems)
    problems.raise_if_any()
    return await insert_row(conn, actor, m.provider_assignments, "ProviderAssignment", values)


async def update_assignment(
    conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None, values: dict[str, Any]
) -> Any:
    before = await existing_row(conn, m.provider_assignments, pk, "provider assignment")
    problems = Problems()
    Check(problems).present(values, ASSIGNMENT_NOT_NULL)
    start = values.get("start_date", before.start_date)
    if start is not None:
        _check_dates(start, values.get("end_date", before.end_date), problems)
    problems.raise_if_any()
    return await update_row(conn, actor, m.provider_assignments, "ProviderAssignment", before, values)


async def _end_assignment(conn: AsyncConnection, actor: Actor, before: Any) -> Any:
    """Status inactive; the end date stays if set, else today (or the start date, if later)."""
    end_date = before.end_date or max(_today(), before.start_date)
    return await update_row(
        conn,
        actor,
        m.provider_assignments,
        "ProviderAssignment",
        before,
        {"status": "inactive", "end_date": end_date},
        "end",
    )


async def end_assignment(conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None) -> Any:
    before = await existing_row(conn, m.provider_assignments, pk, "provider assignment")
    if before.status == "inactive" and before.end_date is not None:
        return before
    return await _end_assignment(conn, actor, before)


# The tenant


def _check_tenant(values: dict[str, Any]) -> None:
    problems = Problems()
    check = Check(problems)
    check.present(values, ("name", "settings", "features"))
    check.text("name", values.get("name"), max_len=200)
    check.json_object("settings", values.get("settings"))
    check.json_object("features", values.get("features"))
    features = values.get("features")
    if isinstance(features, dict) and not all(isinstance(v, bool) for v in features.values()):
        problems.add("input.features", "INVALID", "Each feature must be true or false")
    problems.raise_if_any()


async def update_tenant(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    """Change the signed-in tenant's name, settings or features (settings and features replace)."""
    _check_tenant(values)
    before = await lock_row(conn, m.tenants, actor.tenant_id)
    if before is None:
        raise_not_found("id", "tenant")
    return await update_row(conn, actor, m.tenants, "Tenant", before, _stripped(values, ["name"]))
