"""`medgraph seed --demo` is idempotent, even as a superuser owner whom RLS ignores; each
demo tenant gets a product catalog and orders in every status, and a larger `scale` adds
variants and orders to them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from itertools import pairwise

import sqlalchemy as sa

from app.db import tenant_transaction
from medgraph.demo import seed_demo, seed_tenant_data
from medgraph.demo_catalog import FAMILIES, VARIANTS_PER_SCALE, catalog_id, seed_catalog
from medgraph.demo_orders import BASE_ORDERS, order_count, order_id, seed_orders
from medgraph.installed import catalog
from modules.orders import models as o
from modules.orders.migrations.orders_0001 import STATUSES
from modules.orders.service.workflow import STAMPS, STEPS
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
ORDERS = (
    o.sales_reps,
    o.order_numbers,
    o.orders,
    o.order_items,
    o.order_status_history,
    o.order_checks,
    o.shipments,
)
TENANCY = (m.tenants, m.organizations, m.facilities, m.users, m.user_roles, m.patients, m.roles)


async def _counts(owner_engine, tenant_id: uuid.UUID | None = None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Rows per table: of one tenant (its catalog and orders), or of every tenant."""
    tables = CATALOG + ORDERS if tenant_id else TENANCY + CATALOG + ORDERS
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


async def test_demo_tenants_get_orders(owner_engine, cipher):
    await seed_demo(owner_engine, cipher)
    async with owner_engine.connect() as conn:
        tenant_id = await conn.scalar(sa.select(m.tenants.c.id).where(m.tenants.c.slug == "globex-health"))
    async with tenant_transaction(owner_engine, str(tenant_id)) as conn:
        assert await _orders_are_consistent(conn, tenant_id) == set(STATUSES)
        orders = await _all(
            conn,
            "SELECT count(*), count(DISTINCT facility_id), count(sales_rep_id) FROM orders WHERE tenant_id = :t",
            tenant_id,
        )
        assert orders[0][0] == BASE_ORDERS and orders[0][1] >= 3 and orders[0][2] > 0
        reps = await _all(
            conn,
            "SELECT count(*), count(parent_rep_id), count(DISTINCT parent_rep_id) FROM sales_reps WHERE tenant_id = :t",
            tenant_id,
        )
        assert reps[0][0] >= 3 and reps[0][1] == reps[0][0] - 1 and reps[0][2] == 1
        first = await _all(
            conn, "SELECT order_number FROM orders WHERE id = :t", order_id("globex-health", 1)
        )
        assert first == [("ORD-000001",)]


async def _orders_are_consistent(conn, tenant_id: uuid.UUID) -> set[str]:  # type: ignore[no-untyped-def]
    """Each order is what the workflow leaves: a history of legal moves from draft to its
    status, one per version, later each; its stamps at the moves' times; its totals its items'
    sums, of one manufacturer; checks failed when it needs attention; a shipment once shipped;
    a provider assigned at its facility and a patient of it. Returns the statuses present."""
    stamps = sorted(set(STAMPS.values()) - {"closed_at"})
    orders = await _all(
        conn,
        f"SELECT id, order_number, status, version, total_amount, item_count, manufacturer_id, attention_reasons,"
        f" provider_id, patient_id, facility_id, closed_at, {', '.join(stamps)} FROM orders WHERE tenant_id = :t",
        tenant_id,
    )
    history = defaultdict(list)
    for row in await _all(
        conn,
        "SELECT order_id, from_status, to_status, created_at FROM order_status_history WHERE tenant_id = :t"
        " ORDER BY order_id, created_at, id",
        tenant_id,
    ):
        history[row.order_id].append(row)
    items = {
        row[0]: row[1:]
        for row in await _all(
            conn,
            "SELECT i.order_id, sum(i.line_total), count(*), array_agg(DISTINCT p.manufacturer_id)"
            " FROM order_items i JOIN products p ON p.tenant_id = i.tenant_id AND p.id = i.product_id"
            " WHERE i.tenant_id = :t GROUP BY i.order_id",
            tenant_id,
        )
    }
    failed = {
        r[0]
        for r in await _all(
            conn, "SELECT order_id FROM order_checks WHERE tenant_id = :t AND outcome = 'fail'", tenant_id
        )
    }
    shipments = dict(
        await _all(conn, "SELECT order_id, delivered_at FROM shipments WHERE tenant_id = :t", tenant_id)
    )
    assigned = set(
        await _all(
            conn, "SELECT provider_id, facility_id FROM provider_assignments WHERE tenant_id = :t", tenant_id
        )
    )
    patients = dict(await _all(conn, "SELECT id, facility_id FROM patients WHERE tenant_id = :t", tenant_id))
    for order in orders:
        moves = history[order.id]
        assert [x.from_status for x in moves] == [None] + [x.to_status for x in moves[:-1]], order
        assert moves[0].to_status == "draft" and moves[-1].to_status == order.status
        assert len(moves) == order.version and all(a.created_at < b.created_at for a, b in pairwise(moves))
        assert all(
            any(b.to_status == s.target and a.to_status in s.sources for s in STEPS.values())
            for a, b in pairwise(moves)
        )
        reached = {STAMPS[x.to_status]: x.created_at for x in moves if x.to_status in STAMPS}
        assert {c: getattr(order, c) for c in stamps} == {c: reached.get(c) for c in stamps}, order
        closed = order.status in ("delivered", "rejected", "cancelled")
        assert order.closed_at == (moves[-1].created_at if closed else None)
        total, count, makers = items[order.id]
        assert (total, count, makers) == (order.total_amount, order.item_count, [order.manufacturer_id])
        assert 1 <= count <= 4 and total > 0
        if order.status == "needs_attention":
            assert order.attention_reasons and order.id in failed
        assert (order.id in shipments) == (order.status in ("shipped", "delivered"))
        assert (shipments.get(order.id) is not None) == (order.status == "delivered")
        assert (order.provider_id, order.facility_id) in assigned
        assert patients[order.patient_id] == order.facility_id
    counter = await _all(conn, "SELECT last_number FROM order_numbers WHERE tenant_id = :t", tenant_id)
    assert counter == [(max(int(order.order_number[4:]) for order in orders),)]
    return {order.status for order in orders}


async def test_a_larger_scale_adds_variants_once(owner_engine, cipher):
    slug = f"cat-{uuid.uuid4().hex[:10]}"
    async with owner_engine.begin() as conn:
        tenant_id = await provision_tenant(conn, slug, slug.title(), catalog())
    async with tenant_transaction(owner_engine, str(tenant_id)) as conn:
        await seed_tenant_data(conn, cipher, tenant_id, slug, [("Org", "clinic", ["Main"])])
    small = await _counts(owner_engine, tenant_id)
    assert small["products"] == len(FAMILIES)
    assert small["orders"] == BASE_ORDERS
    for scale in (2, 2, 1):
        async with tenant_transaction(owner_engine, str(tenant_id)) as conn:
            await seed_catalog(conn, tenant_id, slug, scale)
            await seed_orders(conn, tenant_id, slug, scale)
        counts = await _counts(owner_engine, tenant_id)
        assert counts["products"] == len(FAMILIES) * (1 + VARIANTS_PER_SCALE) > small["products"]
        assert counts["inventory_levels"] > small["inventory_levels"]
        assert counts["orders"] == order_count(2) > 20 * small["orders"]
        assert counts["order_items"] > 20 * small["order_items"]
    assert await _counts(owner_engine, tenant_id) == counts
    async with tenant_transaction(owner_engine, str(tenant_id)) as conn:
        distinct = await _all(
            conn,
            "SELECT count(*), count(DISTINCT sku), count(DISTINCT name) FROM products WHERE tenant_id = :t",
            tenant_id,
        )
        assert distinct[0] == (counts["products"],) * 3
        await _levels_are_their_movements(conn, tenant_id)
        assert await _orders_are_consistent(conn, tenant_id) == set(STATUSES)
        variants = await _all(
            conn,
            "SELECT count(*) FROM order_items i JOIN products p ON p.id = i.product_id"
            " WHERE i.tenant_id = :t AND p.sku NOT LIKE '%-0000'",
            tenant_id,
        )
        assert variants[0][0] > 0  # the orders of scale 2 name its variants too


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


ORDERS_QUERY = """{ orders(first: 50) { totalCount nodes { status totalAmount
  items(first: 10) { nodes { lineTotal product { manufacturer { name } } } }
  statusHistory(first: 10) { nodes { toStatus } } shipments(first: 5) { nodes { carrier } } } } }"""


async def test_test_tenants_get_the_demo_orders(tenant_a):
    """Compiled and resolved alike (conftest compares them): the benchmark's orders.nested, in short."""
    orders = (await tenant_a.query(ORDERS_QUERY))["orders"]
    assert orders["totalCount"] == BASE_ORDERS == len(orders["nodes"])
    assert {node["status"].lower() for node in orders["nodes"]} == set(STATUSES)
    for node in orders["nodes"]:
        assert node["statusHistory"]["nodes"][-1]["toStatus"] == node["status"]
        assert sum(Decimal(i["lineTotal"]) for i in node["items"]["nodes"]) == Decimal(node["totalAmount"])
        assert len({i["product"]["manufacturer"]["name"] for i in node["items"]["nodes"]}) == 1
        assert bool(node["shipments"]["nodes"]) == (node["status"] in ("SHIPPED", "DELIVERED"))
