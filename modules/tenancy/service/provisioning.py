"""Operator tasks run as the database owner: the permission catalog and new tenants.

Tenants are provisioned by operators (CLI, demo seed), not through the API: the
API role can see only the tenant it is signed in to, by design.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.db import scope_to_tenant
from app.events import emit
from modules.tenancy import events as ev
from modules.tenancy import models as m
from schema.module import Catalog


async def sync_permission_catalog(conn: AsyncConnection, catalog: Catalog) -> None:
    """Upsert every permission key of the installed modules, then give every tenant's
    baseline roles what the catalog says they hold (owner: every key; admin: every key
    but tenant.manage), so a newly installed module's keys reach them at once."""
    rows = [{"key": k, "module": k.split(".")[0], "description": d} for k, d in catalog.permissions.items()]
    stmt = insert(m.permissions).values(rows)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"description": stmt.excluded.description, "module": stmt.excluded.module},
        )
    )
    for tenant_id in (await conn.execute(sa.select(m.tenants.c.id))).scalars().all():
        await scope_to_tenant(conn, str(tenant_id))
        await ensure_baseline_roles(conn, tenant_id, catalog)


async def provision_tenant(conn: AsyncConnection, slug: str, name: str, catalog: Catalog) -> uuid.UUID:
    """Create the tenant (if new) with the baseline roles; idempotent."""
    tenant_id = await conn.scalar(sa.select(m.tenants.c.id).where(m.tenants.c.slug == slug))
    if tenant_id is None:
        tenant_id = await conn.scalar(
            sa.insert(m.tenants).values(slug=slug, name=name).returning(m.tenants.c.id)
        )
    await scope_to_tenant(conn, str(tenant_id))
    await ensure_baseline_roles(conn, tenant_id, catalog)
    return tenant_id


async def ensure_baseline_roles(
    conn: AsyncConnection, tenant_id: uuid.UUID, catalog: Catalog
) -> dict[str, Any]:
    role_ids: dict[str, Any] = {}
    for key, (name, permissions) in catalog.roles.items():
        stmt = insert(m.roles).values(tenant_id=tenant_id, key=key, name=name, is_system=True)
        role_id = await conn.scalar(
            stmt.on_conflict_do_update(index_elements=["tenant_id", "key"], set_={"name": name}).returning(
                m.roles.c.id
            )
        )
        role_ids[key] = role_id
        await conn.execute(sa.delete(m.role_permissions).where(m.role_permissions.c.role_id == role_id))
        await conn.execute(
            sa.insert(m.role_permissions),
            [{"tenant_id": tenant_id, "role_id": role_id, "permission_key": p} for p in sorted(permissions)],
        )
    return role_ids


async def set_tenant_active(conn: AsyncConnection, slug: str, active: bool) -> bool:
    """Suspend or restore a tenant: its users' next requests and sign-ins are refused."""
    tenant = (
        await conn.execute(sa.select(m.tenants.c.id, m.tenants.c.is_active).where(m.tenants.c.slug == slug))
    ).first()
    if tenant is None:
        return False
    await conn.execute(
        sa.update(m.tenants)
        .where(m.tenants.c.id == tenant.id)
        .values(is_active=active, updated_at=sa.func.now())
    )
    if tenant.is_active != active:
        await scope_to_tenant(conn, str(tenant.id))
        event = ev.TENANT_ACTIVATED if active else ev.TENANT_DEACTIVATED
        await emit(conn, Actor(tenant.id, None), event, "Tenant", tenant.id)
    return True


async def create_owner(
    conn: AsyncConnection, tenant_id: uuid.UUID, email: str, full_name: str, password_hash: str
) -> uuid.UUID:
    """The tenant's first user, with the owner role (who then manages everyone else)."""
    user_id = await conn.scalar(
        insert(m.users)
        .values(
            tenant_id=tenant_id, email=email.strip().lower(), full_name=full_name, password_hash=password_hash
        )
        .on_conflict_do_nothing()
        .returning(m.users.c.id)
    )
    if user_id is None:
        raise ValueError(f"a user {email} already exists in this tenant")
    owner_role = await conn.scalar(
        sa.select(m.roles.c.id).where(m.roles.c.tenant_id == tenant_id, m.roles.c.key == "owner")
    )
    await conn.execute(
        sa.insert(m.user_roles).values(tenant_id=tenant_id, user_id=user_id, role_id=owner_role)
    )
    await emit(conn, Actor(tenant_id, None), ev.USER_CREATED, "User", user_id)
    return user_id
