"""Provider, address and assignment mutations with unknown or other tenants' IDs, without
the permission, and their services called directly."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from app.audit import Actor
from app.db import tenant_transaction
from app.errors import InputInvalid
from medgraph.demo import npi_for
from modules.tenancy import models as m
from modules.tenancy.service import providers as svc
from schema.relay import to_global_id
from tests.tenancy.provider_ops import (
    ASSIGN,
    CREATE_ADDRESS,
    CREATE_PROVIDER,
    DEACTIVATE_PROVIDER,
    END_ASSIGNMENT,
    NODE_PROVIDER,
    UPDATE_ASSIGNMENT,
    UPDATE_PROVIDER,
    UPDATE_TENANT,
    address_input,
    codes,
    provider_input,
    seeded,
    state,
)


@pytest.mark.parametrize(
    ("mutation", "with_input"),
    [
        ("updateProvider", True),
        ("deactivateProvider", False),
        ("updateAddress", True),
        ("deactivateAddress", False),
        ("updateProviderAssignment", True),
        ("endProviderAssignment", False),
    ],
)
async def test_update_and_deactivate_unknown_ids(tenant_a, mutation, with_input):
    ids = await seeded(tenant_a)
    before = await state(tenant_a, ids)
    for bad in (
        to_global_id("Tenant", uuid.uuid4()),
        ids["facility"],
        to_global_id("Provider", uuid.uuid4()),
        to_global_id("Address", uuid.uuid4()),
        to_global_id("ProviderAssignment", uuid.uuid4()),
    ):
        args = f'id: "{bad}", input: {{}}' if with_input else f'id: "{bad}"'
        result = await tenant_a.query(f"mutation {{ {mutation}({args}) {{ errors {{ field code }} }} }}")
        assert result[mutation]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]
    assert await state(tenant_a, ids) == before


# Isolation and permissions


async def test_other_tenants_ids_are_not_found(tenant_a, tenant_b):
    a_ids, b_ids = await seeded(tenant_a), await seeded(tenant_b)
    a_before = await state(tenant_a, a_ids)
    a_provider = (await tenant_a.query(NODE_PROVIDER, {"id": a_ids["provider"]}))["node"]
    b_before = await state(tenant_b, b_ids)
    attempts = [
        (
            UPDATE_PROVIDER,
            {"id": a_ids["provider"], "input": {"firstName": "Hijacked"}},
            {("id", "NOT_FOUND")},
        ),
        (DEACTIVATE_PROVIDER, {"id": a_ids["provider"]}, {("id", "NOT_FOUND")}),
        (END_ASSIGNMENT, {"id": a_ids["assignment"]}, {("id", "NOT_FOUND")}),
        (UPDATE_ASSIGNMENT, {"id": a_ids["assignment"], "input": {"canOrder": False}}, {("id", "NOT_FOUND")}),
        (CREATE_ADDRESS, {"input": address_input(a_ids["facility"])}, {("input.ownerId", "NOT_FOUND")}),
        (CREATE_ADDRESS, {"input": address_input(a_ids["provider"])}, {("input.ownerId", "NOT_FOUND")}),
        (CREATE_ADDRESS, {"input": address_input(a_ids["org"])}, {("input.ownerId", "NOT_FOUND")}),
        (
            ASSIGN,
            {"input": {"facilityId": a_ids["facility"], "providerId": b_ids["provider"]}},
            {("input.facilityId", "NOT_FOUND")},
        ),
        (
            ASSIGN,
            {"input": {"facilityId": b_ids["other_facility"], "providerId": a_ids["provider"]}},
            {("input.providerId", "NOT_FOUND")},
        ),
        (
            CREATE_PROVIDER,
            {"input": provider_input(f"cross-{uuid.uuid4()}", userId=a_ids["user"])},
            {("input.userId", "NOT_FOUND")},
        ),
    ]
    for mutation, variables, expected in attempts:
        result = await tenant_b.query(mutation, variables)
        (body,) = result.values()
        assert codes(body) == expected, (mutation, body)
    # The same NPI in another tenant is no duplicate: unique keys include the tenant.
    same_npi = await tenant_b.query(
        CREATE_PROVIDER, {"input": provider_input("x", npi=a_ids["provider_npi"])}
    )
    assert same_npi["createProvider"]["errors"] == []
    assert await state(tenant_a, a_ids) == a_before
    assert (await tenant_a.query(NODE_PROVIDER, {"id": a_ids["provider"]}))["node"] == a_provider
    b_after = await state(tenant_b, b_ids)
    assert b_after["providers"]["totalCount"] == b_before["providers"]["totalCount"] + 1


async def test_viewer_cannot_create_provider(tenant_a):
    result = await tenant_a.raw(CREATE_PROVIDER, {"input": provider_input("viewer")}, role="viewer")
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "tenancy.manage" in result["errors"][0]["message"]


async def test_only_tenant_managers_update_the_tenant(tenant_a):
    before = await tenant_a.query("{ me { tenant { name } } }")
    result = await tenant_a.raw(UPDATE_TENANT, {"input": {"name": "Mine now"}}, role="admin")
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await tenant_a.query("{ me { tenant { name } } }") == before


# Services, below GraphQL


async def test_assign_provider_reports_every_problem_at_once(api_engine, tenant_a):
    actor = Actor(tenant_a.id, None)
    async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
        facility = await conn.scalar(sa.select(m.facilities.c.id).limit(1))
        with pytest.raises(InputInvalid) as raised:
            await svc.assign_provider(
                conn,
                actor,
                {
                    "facility_id": facility,
                    "provider_id": uuid.uuid4(),
                    "start_date": dt.date(2026, 3, 2),
                    "end_date": dt.date(2026, 3, 1),
                },
            )
    assert {(p.field, p.code) for p in raised.value.problems} == {
        ("input.end_date", "INVALID"),
        ("input.provider_id", "NOT_FOUND"),
    }


async def test_ending_a_future_assignment_ends_it_on_its_start_date(api_engine, tenant_a):
    actor = Actor(tenant_a.id, None)
    start = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)
    async with tenant_transaction(api_engine, str(tenant_a.id)) as conn:
        facility = await conn.scalar(sa.select(m.facilities.c.id).limit(1))
        provider = await svc.create_provider(
            conn,
            actor,
            {"first_name": "Fu", "last_name": "Ture", "credentials": "DO", "npi": npi_for("future")},
        )
        row = await svc.assign_provider(
            conn, actor, {"facility_id": facility, "provider_id": provider.id, "start_date": start}
        )
        ended = await svc.end_assignment(conn, actor, row.id)
        assert (ended.status, ended.end_date) == ("inactive", start)
        assert await svc.end_assignment(conn, actor, row.id) == ended
