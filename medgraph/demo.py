"""Demo data: two tenants, each with organizations, facilities, providers, patients, one
user per baseline role and a product catalog (demo_catalog.py). Idempotent: IDs are derived
from names, inserts skip rows that exist. Runs as the database owner, inside each tenant's
context.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.auth.passwords import hash_password
from app.crypto import PhiCipher
from app.db import tenant_transaction
from app.validators import npi_is_valid
from medgraph.demo_catalog import seed_catalog
from medgraph.demo_ids import NAMESPACE
from medgraph.demo_ids import demo_id as _id
from medgraph.demo_orders import seed_orders
from medgraph.installed import catalog
from modules.tenancy import models as m
from modules.tenancy import provision_tenant
from schema.module import BASELINE_ROLES

DEMO_PASSWORD = "medgraph-demo"

TENANTS = {
    "acme-medical": (
        "Acme Medical Supply",
        [
            ("Riverside Wound Care", "clinic", ["Riverside Main", "Riverside East"]),
            ("Summit Health System", "hospital", ["Summit General", "Summit North Clinic"]),
            ("Lakeside Family Practice", "practice", ["Lakeside Office"]),
        ],
    ),
    "globex-health": (
        "Globex Health Distribution",
        [
            ("Harbor Medical Group", "clinic", ["Harbor Downtown", "Harbor Westside"]),
            ("Pinecrest Home Health", "home_health", ["Pinecrest Hub"]),
        ],
    ),
}
FIRST = ["Ava", "Noah", "Mia", "Liam", "Zoe", "Ethan", "Ivy", "Lucas", "Nora", "Owen"]
LAST = ["Garcia", "Patel", "Nguyen", "Okafor", "Schmidt", "Rossi", "Kim", "Haddad", "Silva", "Berg"]


def npi_for(seed: str) -> str:
    """A valid (check-digit) NPI derived from a seed string."""
    base = int(uuid.uuid5(NAMESPACE, seed).int % 10**8)
    for tail in range(100):
        candidate = f"1{base:08d}"[:9] + str(tail % 10)
        if npi_is_valid(candidate):
            return candidate
    raise AssertionError("unreachable: one of ten check digits is valid")


async def _put(conn: AsyncConnection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert(table).values(rows).on_conflict_do_nothing())


async def seed_demo(engine: AsyncEngine, cipher: PhiCipher, scale: int = 1) -> list[str]:
    """Create the demo tenants; return the demo logins (email). `scale` multiplies the
    product catalog (see medgraph/demo_catalog.py)."""
    logins: list[str] = []
    for slug, (name, orgs) in TENANTS.items():
        async with engine.begin() as conn:
            tenant_id = await provision_tenant(conn, slug, name, catalog())
        async with tenant_transaction(engine, str(tenant_id)) as conn:
            logins += await seed_tenant_data(conn, cipher, tenant_id, slug, orgs, scale)
    return logins


async def seed_tenant_data(
    conn: AsyncConnection,
    cipher: PhiCipher,
    tenant_id: uuid.UUID,
    slug: str,
    orgs: list[tuple[str, str, list[str]]],
    scale: int = 1,
) -> list[str]:
    t = {"tenant_id": tenant_id}
    facility_ids: list[uuid.UUID] = []
    for org_name, org_type, facilities in orgs:
        org_id = _id(slug, org_name)
        await _put(
            conn,
            m.organizations,
            [
                {
                    **t,
                    "id": org_id,
                    "name": org_name,
                    "type": org_type,
                    "onboarding_date": dt.date(2025, 1, 15),
                }
            ],
        )
        for fac_name in facilities:
            fac_id = _id(slug, org_name, fac_name)
            facility_ids.append(fac_id)
            await _put(
                conn,
                m.facilities,
                [
                    {
                        **t,
                        "id": fac_id,
                        "organization_id": org_id,
                        "name": fac_name,
                        "type": "clinic",
                        "npi": npi_for(f"{slug}/{fac_name}"),
                        "timezone": "America/New_York",
                    }
                ],
            )
            await _put(
                conn,
                m.addresses,
                [
                    {
                        **t,
                        "id": _id(slug, fac_name, "address"),
                        "owner_type": "facility",
                        "owner_id": fac_id,
                        "address_type": "shipping",
                        "street_1": "100 Main St",
                        "city": "Springfield",
                        "state_province": "IL",
                        "postal_code": "62701",
                        "is_primary": True,
                    }
                ],
            )
    for i in range(6):
        provider_id = _id(slug, "provider", str(i))
        await _put(
            conn,
            m.providers,
            [
                {
                    **t,
                    "id": provider_id,
                    "first_name": FIRST[i],
                    "last_name": LAST[i],
                    "credentials": "MD",
                    "npi": npi_for(f"{slug}/provider/{i}"),
                    "status": "active",
                }
            ],
        )
        facility = facility_ids[i % len(facility_ids)]
        await _put(
            conn,
            m.provider_assignments,
            [
                {
                    **t,
                    "id": _id(slug, "assign", str(i)),
                    "facility_id": facility,
                    "provider_id": provider_id,
                    "is_primary_location": True,
                }
            ],
        )
    for i in range(12):
        await _put(conn, m.patients, [_patient(cipher, tenant_id, slug, i, facility_ids)])
    # Filter by tenant explicitly: the owner may be a superuser, whom row-level security ignores.
    roles = {
        r.key: r.id
        for r in await conn.execute(
            sa.select(m.roles.c.key, m.roles.c.id).where(m.roles.c.tenant_id == tenant_id)
        )
    }
    logins = []
    password_hash = hash_password(DEMO_PASSWORD)  # one hash (argon2 is slow on purpose)
    for role_key in BASELINE_ROLES:
        user_id = _id(slug, "user", role_key)
        email = f"{role_key.replace('_', '.')}@{slug}.test"
        logins.append(email)
        await _put(
            conn,
            m.users,
            [
                {
                    **t,
                    "id": user_id,
                    "email": email,
                    "password_hash": password_hash,
                    "full_name": f"Demo {BASELINE_ROLES[role_key]}",
                }
            ],
        )
        await _put(conn, m.user_roles, [{**t, "user_id": user_id, "role_id": roles[role_key]}])
    for role_key in ("facility_manager", "provider"):
        await _put(
            conn,
            m.memberships,
            [
                {
                    **t,
                    "id": _id(slug, "membership", role_key),
                    "user_id": _id(slug, "user", role_key),
                    "facility_id": facility_ids[0],
                    "is_primary": True,
                }
            ],
        )
    await seed_catalog(conn, tenant_id, slug, scale)
    await seed_orders(conn, tenant_id, slug, scale)
    return logins


def _patient(
    cipher: PhiCipher, tenant_id: uuid.UUID, slug: str, i: int, facility_ids: list[uuid.UUID]
) -> dict[str, Any]:
    pk = _id(slug, "patient", str(i))
    mrn, first, last = f"MRN-{1000 + i}", FIRST[(i + 3) % 10], LAST[(i + 5) % 10]
    born = dt.date(1950 + i * 3, 1 + i % 12, 1 + i % 27).isoformat()

    def seal(value: str, column: str) -> bytes:
        return cipher.seal(value, row_id=str(pk), column=column)  # type: ignore[return-value]

    return {
        "tenant_id": tenant_id,
        "id": pk,
        "facility_id": facility_ids[i % len(facility_ids)],
        "mrn_enc": seal(mrn, "mrn"),
        "mrn_index": cipher.blind_index(mrn),
        "name_dob_index": cipher.blind_index(last, born),
        "first_name_enc": seal(first, "first_name"),
        "last_name_enc": seal(last, "last_name"),
        "date_of_birth_enc": seal(born, "date_of_birth"),
        "sex_enc": seal(("female", "male")[i % 2], "sex"),
    }
