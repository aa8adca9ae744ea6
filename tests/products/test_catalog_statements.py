"""A nested catalog query (categories → products → manufacturer → settings, with stock
levels) costs the same statements for 5 products as for 50, and compiles into one."""

from __future__ import annotations

import uuid

import httpx
import sqlalchemy as sa

from app.db import tenant_transaction
from modules.products import models as m
from tests.support import app_with, gql, recorded_statements

CATALOG = """query Catalog($tag: String!) {
  productCategories(first: 5, filter: {search: $tag}) { nodes { name
    products(first: 50) { totalCount nodes { name sku code nationalAsp
      manufacturer { name settings { leadTimeDays minimumOrderAmount } }
      inventoryLevels(first: 3) { nodes { onHand available location { name } } } } } } }
}"""


async def _catalog(owner_engine, tenant, products: int) -> str:
    """One category of `products` products, each of its own manufacturer, stocked at one location."""
    tag = f"stmt{uuid.uuid4().hex[:8]}"
    t = {"tenant_id": tenant.id}
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        category, location = uuid.uuid4(), uuid.uuid4()
        await conn.execute(sa.insert(m.product_categories).values(**t, id=category, name=f"Category {tag}"))
        await conn.execute(sa.insert(m.inventory_locations).values(**t, id=location, name=f"Shelf {tag}"))
        for i in range(products):
            maker, product = uuid.uuid4(), uuid.uuid4()
            await conn.execute(sa.insert(m.manufacturers).values(**t, id=maker, name=f"Maker {tag} {i}"))
            await conn.execute(sa.insert(m.manufacturer_settings).values(**t, id=maker, lead_time_days=2))
            await conn.execute(
                sa.insert(m.products).values(
                    **t,
                    id=product,
                    name=f"Product {i}",
                    sku=f"{tag}-{i}",
                    code="A6209",
                    code_type="hcpcs",
                    manufacturer_id=maker,
                    category_id=category,
                    national_asp="12.50",
                )
            )
            await conn.execute(
                sa.insert(m.inventory_levels).values(**t, product_id=product, location_id=location, on_hand=i)
            )
    return tag


async def _statements(api_engine, app, tenant, tag: str) -> tuple[list[str], int]:
    token = await tenant.token()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://medgraph.test") as client:
        with recorded_statements(api_engine) as statements:
            result = await gql(client, CATALOG, {"tag": tag}, {"authorization": f"Bearer {token}"})
    assert "errors" not in result, result
    (category,) = result["data"]["productCategories"]["nodes"]
    products = category["products"]["nodes"]
    assert all(p["manufacturer"]["settings"]["leadTimeDays"] == 2 for p in products)
    assert all(len(p["inventoryLevels"]["nodes"]) == 1 for p in products)
    return statements, len(products)


async def test_a_nested_catalog_query_costs_the_same_for_5_and_50_products(
    owner_engine, api_engine, tenant_a
):
    small_tag = await _catalog(owner_engine, tenant_a, 5)
    large_tag = await _catalog(owner_engine, tenant_a, 50)
    resolved = app_with(api_engine, compiled_reads=False)
    small, small_rows = await _statements(api_engine, resolved, tenant_a, small_tag)
    large, large_rows = await _statements(api_engine, resolved, tenant_a, large_tag)
    assert (small_rows, large_rows) == (5, 50)
    assert len(small) == len(large), (small, large)

    compiled = app_with(api_engine, compiled_reads=True, compiled_reads_verify=False)
    await _statements(api_engine, compiled, tenant_a, small_tag)  # the plan made, the caller known
    small, _ = await _statements(api_engine, compiled, tenant_a, small_tag)
    large, _ = await _statements(api_engine, compiled, tenant_a, large_tag)
    assert len(small) == len(large) == 1, large  # the principal checked and the data read in one
    assert "row_to_json" in large[0]
