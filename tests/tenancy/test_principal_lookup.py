"""Loading the principal: one statement scopes the transaction, reads the principal and
narrows the transaction to the user's memberships; the unit of work still knows its tenant."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from app.context import build_context
from app.errors import AuthenticationError
from modules.tenancy import load_principal
from tests.support import claims_of, recorded_statements, sign_token

SETTINGS = sa.text(
    "SELECT current_setting('app.tenant_id', true) AS tenant, current_setting('app.user_id', true) AS usr,"
    " current_setting('app.scope', true) AS scope, current_setting('app.facility_ids', true) AS facilities,"
    " current_setting('app.org_ids', true) AS orgs"
)


def _context(app, token: str):  # type: ignore[no-untyped-def]
    state = app.state.medgraph
    return build_context(
        settings=state.settings,
        engine=state.engine,
        cipher=state.cipher,
        guards=state.guards,
        principal_loader=state.principal_loader,
        authorization=f"Bearer {token}",
        headers={},
        client_ip=None,
    )


async def _load(app, api_engine, tenant, role: str):  # type: ignore[no-untyped-def]
    ctx = _context(app, await tenant.token(role))
    with recorded_statements(api_engine) as statements:
        principal = await load_principal(ctx, ctx.claims)  # type: ignore[arg-type]
    return ctx, principal, statements


async def test_one_statement_scopes_reads_and_narrows(app, api_engine, tenant_a):
    ctx, principal, statements = await _load(app, api_engine, tenant_a, "facility_manager")
    try:
        assert len(statements) == 1, statements
        assert not principal.scope_all and len(principal.facility_ids) == 1
        async with ctx.uow.use() as conn:
            settings = (await conn.execute(SETTINGS)).one()
        assert settings.tenant == str(tenant_a.id) and settings.usr == str(principal.user_id)
        assert settings.scope == "memberships"
        assert settings.facilities == ",".join(str(f) for f in principal.facility_ids)
        assert settings.orgs == ",".join(str(o) for o in principal.organization_ids)
    finally:
        await ctx.uow.finish(commit=False)


async def test_a_tenant_wide_role_keeps_the_whole_tenant(app, api_engine, tenant_a):
    ctx, principal, _ = await _load(app, api_engine, tenant_a, "owner")
    try:
        assert principal.scope_all
        async with ctx.uow.use() as conn:
            assert (await conn.execute(SETTINGS)).one().scope == "all"
    finally:
        await ctx.uow.finish(commit=False)


async def test_the_unit_of_work_still_refuses_another_tenant(app, api_engine, tenant_a):
    ctx, _, _ = await _load(app, api_engine, tenant_a, "owner")
    try:
        with pytest.raises(RuntimeError, match="another tenant"):
            ctx.uow.set_context(tenant_id=str(uuid.uuid4()))
        with pytest.raises(RuntimeError, match="another tenant"):
            ctx.uow.claim_tenant(str(uuid.uuid4()))
        ctx.uow.set_context(tenant_id=str(tenant_a.id))  # the same tenant is fine
    finally:
        await ctx.uow.finish(commit=False)


async def test_a_transaction_bound_elsewhere_loads_no_principal(app, tenant_a, tenant_b):
    ctx = _context(app, await tenant_a.token("owner"))
    ctx.uow.set_context(tenant_id=str(tenant_b.id))
    try:
        with pytest.raises(RuntimeError, match="another tenant"):
            await load_principal(ctx, ctx.claims)  # type: ignore[arg-type]
    finally:
        await ctx.uow.finish(commit=False)


async def test_claims_of_another_tenant_find_no_user(app, tenant_a, tenant_b):
    """Row-level security still binds the lookup: a user id under another tenant's id is
    nobody (the function runs with the caller's rights)."""
    claims = await claims_of(tenant_a, "owner")
    ctx = _context(app, sign_token({**claims, "tid": str(tenant_b.id)}))
    try:
        with pytest.raises(AuthenticationError, match="no longer exists"):
            await load_principal(ctx, ctx.claims)  # type: ignore[arg-type]
    finally:
        await ctx.uow.finish(commit=False)
