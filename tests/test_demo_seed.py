"""`medgraph seed --demo` is idempotent, even as a superuser owner whom RLS ignores."""

from __future__ import annotations

import sqlalchemy as sa

from medgraph.demo import seed_demo
from modules.tenancy import models as m


async def _counts(owner_engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    async with owner_engine.connect() as conn:
        return {
            t.name: await conn.scalar(sa.select(sa.func.count()).select_from(t))
            for t in (m.tenants, m.organizations, m.facilities, m.users, m.user_roles, m.patients, m.roles)
        }


async def test_seed_demo_twice_changes_nothing(owner_engine, cipher):
    logins = await seed_demo(owner_engine, cipher)
    assert "owner@acme-medical.test" in logins and "viewer@globex-health.test" in logins
    first = await _counts(owner_engine)
    for _ in range(3):
        await seed_demo(owner_engine, cipher)
    assert await _counts(owner_engine) == first
    async with owner_engine.connect() as conn:
        crossed = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE r.tenant_id <> ur.tenant_id"
            )
        )
    assert crossed == 0
