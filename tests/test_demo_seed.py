"""`medgraph seed --demo` is idempotent, even as a superuser owner whom RLS ignores; each
demo tenant gets a product catalog, and a larger `scale` adds variants to it."""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa

from app.db import tenant_transaction
from medgraph.demo import seed_demo, seed_tenant_data
from medgraph.demo_catalog import FAMILIES, VARIANTS_PER_SCALE, catalog_id, seed_catalog
from medgraph.installed import catalog
from modules.products import models as p
from modules.tenancy import models as m
from modules.tenancy import provision_tenant
from schema.relay import to_global_id

CATALOG = (
    p.manufacturers,
    p.manufacturer_settings,
    p.manufacturer_contacts,
    p.product_categories,
    p.specialties,
    p.products,
    p.product_sizes,
    p.product_specialties,
    p.inventory_locations,
    p.inventory_levels,
    p.stock_movements,
)
TENANCY = (m.tenants, m.organizations, m.facilities, m.users, m.user_roles, m.patients, m.roles)


async def _counts(owner_engine, tenant_id: uuid.UUID | None = None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Rows per table: of one tenant (its catalog), or of every tenant."""
    tables = CATALOG if tenant_id else TENANCY + CATALOG
    async with owner_engine.connect() as conn:
        counts = {}
        for t in tables:
            query = sa.select(sa.func.count()).select_from(t)
            counts[t.name] = await conn.scalar(
                query.where(t.c.tenant_id == tenant_id) if tenant_id else query
            )
        return counts


async def _all(conn, sql: str, tenant_id: uuid.UUID) -> list:  # type: ignore[no-untyped-def]
    return list((await conn.execute(sa.text(sql), {"t": tenant_id})).all())


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


async def test_demo_tenants_get_a_catalog(owner_engine, cipher):
    await seed_demo(owner_engine, cipher)
    async with owner_engine.connect() as conn:
        tenant_id = await conn.scalar(sa.select(m.tenants.c.id).where(m.tenants.c.slug == "acme-medical"))
    async with tenant_transaction(owner_engine, str(tenant_id)) as conn:
        makers = await _all(
            conn,
            "SELECT m.name, s.verification_required, s.verification_type, s.minimum_order_amount,"
            " s.primary_contacts, array(SELECT c.purpose FROM manufacturer_contacts c"
            "   WHERE c.tenant_id = m.tenant_id AND c.manufacturer_id = m.id ORDER BY c.purpose)"
            " FROM manufacturers m JOIN manufacturer_settings s ON s.tenant_id = m.tenant_id AND s.id = m.id"
            " WHERE m.tenant_id = :t",
            tenant_id,
        )
        assert 4 <= len(makers) <= 5
        for _, verified, kind, minimum, contacts, purposes in makers:
            assert isinstance(minimum, Decimal) and contacts and "@" in contacts[0]
            assert purposes == (["order", "support", "verification"] if verified else ["order", "support"])
            assert (kind is not None) == verified
        assert sum(verified for _, verified, *_ in makers) >= 2  # the skin-substitute makers

        paths = dict(
            await _all(
                conn,
                "SELECT c.name, array(SELECT a.name FROM unnest(c.path) WITH ORDINALITY AS u(id, n)"
                "   JOIN product_categories a ON a.id = u.id ORDER BY u.n)"
                " FROM product_categories c WHERE c.tenant_id = :t",
                tenant_id,
            )
        )
        assert paths["Foam dressings"] == ["Wound care", "Dressings", "Foam dressings"]
        assert paths["Topical antibiotics"] == ["Pharmaceuticals", "Topical antibiotics"]
        assert paths["Offloading"] == ["DME", "Offloading"] and len(paths) == 10

        products = await _all(
            conn,
            "SELECT code_type, code, requires_prescription, requires_verification, price_per_cm2, national_asp"
            " FROM products WHERE tenant_id = :t",
            tenant_id,
        )
        assert 30 <= len(products) <= 40
        assert {row.code_type for row in products} == {"hcpcs", "ndc", "upn"}
        assert {row.code[0] for row in products if row.code_type == "hcpcs"} >= {"Q", "A", "E", "L"}
        assert all(row.requires_prescription for row in products if row.code_type == "ndc")
        skin = [row for row in products if row.code.startswith("Q")]
        assert skin and all(row.requires_verification and row.price_per_cm2 > 0 for row in skin)
        assert all(isinstance(row.national_asp, Decimal) for row in products)

        areas = dict(
            await _all(
                conn, "SELECT DISTINCT label, area_cm2 FROM product_sizes WHERE tenant_id = :t", tenant_id
            )
        )
        assert areas["4x4 cm"] == Decimal("16.00") and areas["2x2 cm"] == Decimal("4.00")
        assert areas["1.5 cm disc"] == Decimal("1.77")
        primaries = await _all(
            conn,
            "SELECT count(*) FILTER (WHERE ps.is_primary) FROM products x"
            " LEFT JOIN product_specialties ps ON ps.tenant_id = x.tenant_id AND ps.product_id = x.id"
            " WHERE x.tenant_id = :t GROUP BY x.id",
            tenant_id,
        )
        assert {n for (n,) in primaries} == {1}

        await _levels_are_their_movements(conn, tenant_id)
        low = await _all(
            conn,
            "SELECT id FROM inventory_levels WHERE tenant_id = :t AND available <= reorder_point",
            tenant_id,
        )
        assert low
        consignment = await _all(
            conn,
            "SELECT l.name FROM inventory_locations l JOIN facilities f"
            " ON f.tenant_id = l.tenant_id AND f.id = l.facility_id WHERE l.tenant_id = :t",
            tenant_id,
        )
        assert len(consignment) == 1 and consignment[0].name.startswith("Consignment at ")


async def _levels_are_their_movements(conn, tenant_id: uuid.UUID) -> None:  # type: ignore[no-untyped-def]
    """Every level is the sum of its movements, and each movement's `after` is the running sum."""
    levels = await _all(conn, "SELECT count(*) FROM inventory_levels WHERE tenant_id = :t", tenant_id)
    assert levels[0][0] > 0
    unexplained = await _all(
        conn,
        "SELECT l.id FROM inventory_levels l LEFT JOIN (SELECT level_id, sum(on_hand_change) AS on_hand,"
        "   sum(allocated_change) AS allocated FROM stock_movements WHERE tenant_id = :t GROUP BY level_id) s"
        "   ON s.level_id = l.id"
        " WHERE l.tenant_id = :t"
        "   AND (coalesce(s.on_hand, 0), coalesce(s.allocated, 0)) <> (l.on_hand, l.allocated)",
        tenant_id,
    )
    assert unexplained == []
    wrong_after = await _all(
        conn,
        "SELECT id FROM (SELECT id, on_hand_after, allocated_after,"
        "   sum(on_hand_change) OVER w AS on_hand, sum(allocated_change) OVER w AS allocated"
        "   FROM stock_movements WHERE tenant_id = :t"
        "   WINDOW w AS (PARTITION BY level_id ORDER BY created_at)) s"
        " WHERE (on_hand_after, allocated_after) <> (on_hand, allocated)",
        tenant_id,
    )
    assert wrong_after == []
    reservations_first = await _all(
        conn,
        "SELECT r.id FROM stock_movements r JOIN stock_movements c ON c.level_id = r.level_id"
        " AND c.kind = 'receipt' WHERE r.tenant_id = :t AND r.kind = 'reservation' AND r.created_at <= c.created_at",
        tenant_id,
    )
    assert reservations_first == []


async def test_a_larger_scale_adds_variants_once(owner_engine, cipher):
    slug = f"cat-{uuid.uuid4().hex[:10]}"
    async with owner_engine.begin() as conn:
        tenant_id = await provision_tenant(conn, slug, slug.title(), catalog())
    async with tenant_transaction(owner_engine, str(tenant_id)) as conn:
        await seed_tenant_data(conn, cipher, tenant_id, slug, [("Org", "clinic", ["Main"])])
    small = await _counts(owner_engine, tenant_id)
    assert small["products"] == len(FAMILIES)
    for scale in (2, 2, 1):
        async with tenant_transaction(owner_engine, str(tenant_id)) as conn:
            await seed_catalog(conn, tenant_id, slug, scale)
        counts = await _counts(owner_engine, tenant_id)
        assert counts["products"] == len(FAMILIES) * (1 + VARIANTS_PER_SCALE) > small["products"]
        assert counts["inventory_levels"] > small["inventory_levels"]
    assert await _counts(owner_engine, tenant_id) == counts
    async with tenant_transaction(owner_engine, str(tenant_id)) as conn:
        distinct = await _all(
            conn,
            "SELECT count(*), count(DISTINCT sku), count(DISTINCT name) FROM products WHERE tenant_id = :t",
            tenant_id,
        )
        assert distinct[0] == (counts["products"],) * 3
        await _levels_are_their_movements(conn, tenant_id)


SEARCH = """query Search($filter: ProductFilter) {
  products(first: 20, filter: $filter) { totalCount edges { node { id name sku code manufacturer { name } } } }
}"""


async def test_the_catalog_answers_searches(tenant_a):
    """Test tenants get the catalog too; the benchmark's three searches find what they should."""
    foam = (await tenant_a.query(SEARCH, {"filter": {"search": "foam"}}))["products"]
    names = [edge["node"]["name"] for edge in foam["edges"]]
    assert foam["totalCount"] >= 4 and all("Foam" in name for name in names)
    assert all(edge["node"]["manufacturer"]["name"] for edge in foam["edges"])
    codes = (await tenant_a.query(SEARCH, {"filter": {"search": "Q41"}}))["products"]
    assert codes["totalCount"] >= 5 and {e["node"]["code"][:3] for e in codes["edges"]} == {"Q41"}
    wound_care = to_global_id("ProductCategory", catalog_id(tenant_a.slug, "category", "Wound care"))
    subtree = (await tenant_a.query(SEARCH, {"filter": {"categoryId": wound_care}}))["products"]
    assert subtree["totalCount"] == sum(f.stem.startswith(("SS-", "DR-")) for f in FAMILIES)
    low = await tenant_a.query("{ lowStock(first: 5) { totalCount } }")
    assert low["lowStock"]["totalCount"] >= 1
