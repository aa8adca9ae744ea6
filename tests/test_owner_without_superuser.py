"""A database owner that is not a superuser (as on a managed PostgreSQL): migrations,
provisioning, the catalog sync and event numbering all work under its forced row-level
security, given what a DBA grants it once (the extension, and SET on the `app.*`
settings its functions use)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from app.audit import Actor
from app.db import scope_to_tenant
from app.events import EventType, emit
from app.settings import get_settings
from medgraph.cli import run_migrations
from medgraph.installed import INSTALLED_MODULES, catalog
from modules.tenancy import provision_tenant
from schema.module import Module
from tests.conftest import _fresh_database

OWNER = "medgraph_test_owner"
PING = EventType("tenant.pinged", "test")


async def _database_owned_by_a_plain_role() -> str:
    superuser_url = await _fresh_database("medgraph_plain_owner")
    engine = create_async_engine(superuser_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(
            sa.text(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{OWNER}') THEN "
                f"CREATE ROLE {OWNER} LOGIN PASSWORD 'owner' NOSUPERUSER NOBYPASSRLS; END IF; END $$"
            )
        )
        await conn.execute(sa.text(f"ALTER DATABASE medgraph_plain_owner OWNER TO {OWNER}"))
        await conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
        for setting in ("app.scope", "app.tenant_id"):
            await conn.execute(sa.text(f"GRANT SET ON PARAMETER {setting} TO {OWNER}"))
    await engine.dispose()
    return (
        sa.make_url(superuser_url).set(username=OWNER, password="owner").render_as_string(hide_password=False)
    )


async def test_a_plain_owner_migrates_provisions_syncs_and_numbers_events():
    owner_url = await _database_owned_by_a_plain_role()
    settings = get_settings()
    await run_migrations(owner_url, settings)
    engine = create_async_engine(owner_url)
    try:
        tenants = []
        for slug in ("plain-a", "plain-b"):
            async with engine.begin() as conn:
                tenants.append(
                    await provision_tenant(conn, f"{slug}-{uuid.uuid4().hex[:6]}", slug, catalog())
                )
        widgets = Module("widgets", sa.MetaData(), {"widgets.read": "Read widgets"}, {})
        await run_migrations(owner_url, settings, (*INSTALLED_MODULES, widgets))
        holders = []
        for tenant_id in tenants:
            async with engine.begin() as conn:
                await scope_to_tenant(conn, str(tenant_id))
                holders.append(
                    await conn.scalar(
                        sa.text(
                            "SELECT count(*) FROM role_permissions rp JOIN roles r ON r.id = rp.role_id "
                            "WHERE r.key IN ('owner', 'admin') AND rp.permission_key = 'widgets.read'"
                        )
                    )
                )
        assert holders == [2, 2]

        # One transaction, two tenants (an operator tool): both events numbered at commit.
        async with engine.begin() as conn:
            for tenant_id in tenants:
                await scope_to_tenant(conn, str(tenant_id))
                await emit(conn, Actor(tenant_id, None), PING, "Tenant", tenant_id)
        for tenant_id in tenants:
            async with engine.begin() as conn:
                await scope_to_tenant(conn, str(tenant_id))
                numbered = await conn.scalar(
                    sa.text("SELECT array_agg(sequence) FROM domain_events WHERE type = 'tenant.pinged'")
                )
                assert numbered == [1]
    finally:
        await engine.dispose()
