"""The SQL a nested query costs depends on its depth, never on how many rows it returns."""

from __future__ import annotations

import uuid

import httpx
import sqlalchemy as sa

from app.db import tenant_transaction
from medgraph.demo import npi_for
from modules.tenancy import models as m
from tests.support import app_with, gql, recorded_statements

NESTED = """query Nested {
  organizations(first: 50) { nodes { id name
    facilities(first: 5) { nodes { id name
      providerAssignments(first: 5) { nodes { provider { id lastName user { id email } } } } } } } }
}"""


async def _grow(owner_engine, tenant, organizations: int) -> None:
    """Give the tenant `organizations` more organizations, each with 2 facilities and providers with users."""
    tag = uuid.uuid4().hex[:8]
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        password = (await conn.execute(sa.select(m.users.c.password_hash).limit(1))).scalar_one()
        for i in range(organizations):
            org_id = uuid.uuid4()
            t = {"tenant_id": tenant.id}
            await conn.execute(
                sa.insert(m.organizations).values(**t, id=org_id, name=f"Grown {tag} {i}", type="clinic")
            )
            for j in range(2):
                fac_id, user_id, provider_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
                await conn.execute(
                    sa.insert(m.facilities).values(
                        **t, id=fac_id, organization_id=org_id, name=f"F{i}-{j}", type="clinic"
                    )
                )
                await conn.execute(
                    sa.insert(m.users).values(
                        **t,
                        id=user_id,
                        email=f"u{tag}-{i}-{j}@x.test",
                        password_hash=password,
                        full_name="Grown User",
                    )
                )
                await conn.execute(
                    sa.insert(m.providers).values(
                        **t,
                        id=provider_id,
                        user_id=user_id,
                        first_name="P",
                        last_name=f"L{i}{j}",
                        credentials="MD",
                        npi=npi_for(f"{tag}/{i}/{j}"),
                    )
                )
                await conn.execute(
                    sa.insert(m.provider_assignments).values(**t, facility_id=fac_id, provider_id=provider_id)
                )


async def _statements(api_engine, app, tenant) -> tuple[list[str], int]:
    """The statements one NESTED query costs, sent to `app` with the tenant's owner token."""
    token = await tenant.token()  # sign in first: login's own statements are not part of the query
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://medgraph.test") as client:
        with recorded_statements(api_engine) as statements:
            result = await gql(client, NESTED, None, {"authorization": f"Bearer {token}"})
    assert "errors" not in result, result
    return statements, len(result["data"]["organizations"]["nodes"])


def _is_data(statement: str) -> bool:
    return "app_principal" not in statement


async def test_statement_count_is_independent_of_row_count(owner_engine, api_engine, tenant_a, tenant_b):
    await _grow(owner_engine, tenant_a, 2)  # 3 seeded + 2 = 5 organizations
    await _grow(owner_engine, tenant_b, 47)  # 3 seeded + 47 = 50 organizations
    resolved_app = app_with(api_engine, compiled_reads=False)
    small, small_rows = await _statements(api_engine, resolved_app, tenant_a)
    large, large_rows = await _statements(api_engine, resolved_app, tenant_b)
    assert (small_rows, large_rows) == (5, 50)
    assert len(small) == len(large), (small, large)
    # Resolvers: the principal and its settings, then one query per level: organizations,
    # facilities, provider assignments, providers, users.
    assert len([s for s in small if _is_data(s)]) == 5 and len(small) == 6, small


async def test_a_compiled_query_costs_one_data_statement(owner_engine, api_engine, tenant_a, tenant_b):
    await _grow(owner_engine, tenant_b, 47)
    compiled_app = app_with(api_engine, compiled_reads=True, compiled_reads_verify=False)
    small, small_rows = await _statements(api_engine, compiled_app, tenant_a)
    large, large_rows = await _statements(api_engine, compiled_app, tenant_b)
    assert (small_rows, large_rows) == (3, 50)
    assert len(small) == len(large), (small, large)
    data = [s for s in small if _is_data(s)]
    assert len(data) == 1 and data[0].startswith("SELECT ((SELECT row_to_json("), small
    assert len(small) == 2, small  # the principal (its settings in the same call), then the data
