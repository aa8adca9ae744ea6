"""Tenant isolation, seen from outside through GraphQL with two tenants."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from app.db import create_engine
from app.settings import get_settings
from modules.tenancy import models as m
from schema.relay import to_global_id

ALL_LISTS = """{
  organizations(first: 100, filter: {includeDeactivated: true}) { totalCount nodes { id name } }
  facilities(first: 100) { totalCount nodes { id } }
  providers(first: 100) { totalCount nodes { id npi } }
  users(first: 100) { totalCount nodes { id email } }
  patients(first: 100) { totalCount nodes { id mrn } }
  roles(first: 100) { totalCount nodes { id } }
  auditLog(first: 100) { totalCount nodes { id } }
}"""
ORDER_TABLES = (
    "sales_reps",
    "order_numbers",
    "orders",
    "order_items",
    "order_status_history",
    "shipments",
    "order_checks",
)
ORDER_UNSCOPED = ("sales_reps", "order_numbers")
# (table, privilege, whether the API role holds it)
ORDER_PRIVILEGES = [
    *((t, "SELECT,INSERT", True) for t in ORDER_TABLES),
    ("orders", "UPDATE", True),
    ("orders", "DELETE", False),
    ("order_numbers", "UPDATE", True),
    ("order_numbers", "DELETE", False),
    ("order_items", "DELETE", True),
    ("order_status_history", "UPDATE", False),
    ("order_status_history", "DELETE", False),
    ("order_checks", "UPDATE", False),
    ("order_checks", "DELETE", False),
    ("order_status_history", "TRUNCATE", False),
    ("order_checks", "TRUNCATE", False),
]


async def _ids(tenant) -> set[str]:
    data = await tenant.query(ALL_LISTS, headers={"x-access-reason": "isolation test"})
    return {node["id"] for connection in data.values() for node in connection["nodes"]}


async def test_lists_show_only_own_tenant(tenant_a, tenant_b):
    ids_a, ids_b = await _ids(tenant_a), await _ids(tenant_b)
    assert ids_a and ids_b
    assert not ids_a & ids_b
    data = await tenant_a.query("{ users(first: 100) { nodes { email } } }")
    assert all(u["email"].endswith(f"@{tenant_a.slug}.test") for u in data["users"]["nodes"])


async def test_node_lookup_of_other_tenant_is_null(tenant_a, tenant_b):
    ids_b = await _ids(tenant_b)
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    ids = sorted(ids_b)[:100]
    data = await tenant_a.query(query, {"ids": ids}, headers={"x-access-reason": "isolation test"})
    assert data["nodes"] == [None] * len(ids)
    # A guessed, well-formed ID of no row at all looks exactly the same.
    guessed = to_global_id("Organization", uuid.uuid4())
    data = await tenant_a.query("query($id: ID!) { node(id: $id) { id } }", {"id": guessed})
    assert data["node"] is None


async def test_filters_cannot_reach_other_tenant(tenant_a, tenant_b):
    data_b = await tenant_b.query("{ organizations(first: 1) { nodes { id name } } }")
    org_b = data_b["organizations"]["nodes"][0]
    found = await tenant_a.query(
        "query($org: ID!) { facilities(organizationId: $org) { totalCount } }", {"org": org_b["id"]}
    )
    assert found["facilities"]["totalCount"] == 0
    # Patient search by MRN: both tenants have MRN-1000 (seeded alike), each sees only its own.
    query = '{ patients(filter: {mrn: "MRN-1000"}) { nodes { id } } }'
    a = await tenant_a.query(query)
    b = await tenant_b.query(query)
    assert len(a["patients"]["nodes"]) == 1 and len(b["patients"]["nodes"]) == 1
    assert a["patients"]["nodes"][0]["id"] != b["patients"]["nodes"][0]["id"]


UPDATE_ORG = """mutation($id: ID!, $name: String!) {
  updateOrganization(id: $id, input: {name: $name}) { organization { id name } errors { field code } }
}"""


async def test_mutations_cannot_touch_other_tenant(tenant_a, tenant_b):
    org_b = (await tenant_b.query("{ organizations(first: 1) { nodes { id name } } }"))["organizations"][
        "nodes"
    ][0]
    result = await tenant_a.query(UPDATE_ORG, {"id": org_b["id"], "name": "Taken over"})
    assert result["updateOrganization"] == {
        "organization": None,
        "errors": [{"field": "id", "code": "NOT_FOUND"}],
    }
    deact = await tenant_a.query(
        "mutation($id: ID!) { deactivateOrganization(id: $id) { errors { code } } }", {"id": org_b["id"]}
    )
    assert deact["deactivateOrganization"]["errors"] == [{"code": "NOT_FOUND"}]
    # A facility in tenant A cannot be attached to tenant B's organization.
    create = await tenant_a.query(
        """mutation($org: ID!) { createFacility(input: {organizationId: $org, name: "X"}) {
             facility { id } errors { field code } } }""",
        {"org": org_b["id"]},
    )
    assert create["createFacility"]["errors"] == [{"field": "input.organizationId", "code": "NOT_FOUND"}]
    after = (await tenant_b.query("{ organizations(first: 1) { nodes { id name } } }"))["organizations"][
        "nodes"
    ][0]
    assert after == org_b


async def test_duplicate_keys_do_not_reveal_other_tenant(tenant_a, tenant_b):
    """Unique keys include the tenant: B may use A's values, and learns nothing."""
    org_a = (await tenant_a.query("{ organizations(first: 1) { nodes { name } } }"))["organizations"][
        "nodes"
    ][0]
    new_name = f"Only in A {uuid.uuid4().hex[:6]}"
    await tenant_a.query(
        "mutation($n: String!) { createOrganization(input: {name: $n}) { errors { code } } }", {"n": new_name}
    )
    created = await tenant_b.query(
        "mutation($n: String!) { createOrganization(input: {name: $n}) { organization { name } errors { code } } }",
        {"n": new_name},
    )
    assert created["createOrganization"] == {"organization": {"name": new_name}, "errors": []}
    email = tenant_a.email("viewer")
    user = await tenant_b.query(
        """mutation($e: String!) { createUser(input: {email: $e, fullName: "Same Email",
             password: "long-enough-pass", roles: ["viewer"]}) { user { email } errors { code } } }""",
        {"e": email},
    )
    assert user["createUser"]["errors"] == []
    # And within one tenant a duplicate is reported on the field, not as a server error.
    dup = await tenant_a.query(
        "mutation($n: String!) { createOrganization(input: {name: $n}) { organization { id } errors { field code } } }",
        {"n": org_a["name"]},
    )
    assert dup["createOrganization"] == {
        "organization": None,
        "errors": [{"field": "input.name", "code": "DUPLICATE"}],
    }


async def test_pool_of_one_connection_carries_nothing_between_tenants(owner_url, tenant_a, tenant_b):
    """Tenant settings are transaction-local: the next request on the same connection sees nothing."""
    import httpx

    from app.db import api_url_for
    from medgraph.asgi import create_app
    from tests.support import Tenant

    settings = get_settings().model_copy(update={"db_pool_size": 1, "db_max_overflow": 0})
    engine = create_engine(api_url_for(owner_url, settings), settings)
    try:
        app = create_app(settings, "", engine=engine)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            a = Tenant(tenant_a.slug, tenant_a.id, client, dict(tenant_a.tokens))
            b = Tenant(tenant_b.slug, tenant_b.id, client, dict(tenant_b.tokens))
            for _ in range(3):
                ids_a, ids_b = await _ids(a), await _ids(b)
                assert ids_a and ids_b and not ids_a & ids_b
            # The same pooled connection, used raw after those requests, sees no tenant rows.
            async with engine.connect() as conn:
                setting = await conn.scalar(sa.text("SELECT current_setting('app.tenant_id', true)"))
                assert setting in (None, "")
                assert await conn.scalar(sa.select(sa.func.count()).select_from(m.organizations)) == 0
                assert await conn.scalar(sa.select(sa.func.count()).select_from(m.patients)) == 0
            assert engine.sync_engine.pool.size() == 1
    finally:
        await engine.dispose()


async def test_api_role_cannot_bypass_rls(api_engine):
    async with api_engine.connect() as conn:
        role = (
            await conn.execute(
                sa.text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
        assert role == (False, False)
        owned = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
            )
        )
        assert owned == 0
        forced = await conn.scalar(
            sa.text(
                "SELECT bool_and(relrowsecurity AND relforcerowsecurity) FROM pg_class "
                "WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' "
                "AND relname NOT IN ('permissions', 'alembic_version', 'signin_throttle', 'product_search', "
                "'job_ticks')"  # job_ticks: periodic jobs' names and times, no tenant's data
            )
        )
        assert forced is True
        # The products' search index: read only through the owner's function, which names
        # the tenant itself (see migration products_0002); the API role cannot touch it.
        searchable = await conn.scalar(
            sa.text(
                "SELECT has_table_privilege(current_user, 'product_search', 'SELECT,INSERT,UPDATE,DELETE')"
            )
        )
        assert searchable is False
        callable_ = await conn.scalar(
            sa.text("SELECT has_function_privilege(current_user, 'product_search_synced()', 'EXECUTE')")
        )
        assert callable_ is False
        # Not tenant data, and out of the API role's reach but through its function.
        reach = await conn.scalar(
            sa.text(
                "SELECT has_table_privilege(current_user, 'signin_throttle', 'SELECT,INSERT,UPDATE,DELETE')"
            )
        )
        assert reach is False
        # Orders: every table forced and tenant-keyed; orders narrowed by facility and their
        # children by their order; history and checks append-only; orders never deleted.
        for table in ORDER_TABLES:
            policies = set(
                (
                    await conn.execute(
                        sa.text(
                            "SELECT c.relrowsecurity AND c.relforcerowsecurity, p.polname FROM pg_class c "
                            "JOIN pg_policy p ON p.polrelid = c.oid WHERE c.oid = CAST(:t AS regclass)"
                        ),
                        {"t": table},
                    )
                ).all()
            )
            scoped = {(True, "tenant_isolation"), (True, "membership_scope")}
            assert policies == (scoped if table not in ORDER_UNSCOPED else {(True, "tenant_isolation")}), (
                table
            )
        for table, privilege, held in ORDER_PRIVILEGES:
            granted = await conn.scalar(
                sa.text("SELECT has_table_privilege(current_user, :t, :p)"), {"t": table, "p": privilege}
            )
            assert granted is held, (table, privilege)
