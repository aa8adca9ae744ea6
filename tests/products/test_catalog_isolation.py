"""Tenant B's catalog and stock are invisible to tenant A: lists, search, node, nested."""

from __future__ import annotations

from tests.products.catalog_ops import SEARCH, build_catalog

LISTS = """{ manufacturers(first: 100) { nodes { id } } productCategories(first: 100) { nodes { id } }
  specialties(first: 100) { nodes { id } } products(first: 100) { nodes { id } }
  inventoryLocations(first: 100) { nodes { id } } inventoryLevels(first: 100) { nodes { id } }
  stockMovements(first: 100) { nodes { id } } lowStock(first: 100) { nodes { id } } }"""


def _ids(data: dict) -> set[str]:
    return {node["id"] for connection in data.values() for node in connection["nodes"]}


async def test_tenant_b_catalog_is_invisible_to_tenant_a(tenant_a, tenant_b):
    mine = await build_catalog(tenant_a)
    theirs = await build_catalog(tenant_b)
    seen_by_a = _ids(await tenant_a.query(LISTS))
    seen_by_b = _ids(await tenant_b.query(LISTS))
    assert seen_by_a and seen_by_b and not seen_by_a & seen_by_b
    for key in ("maker", "wound", "specialty", "graft", "foam", "drug"):
        assert mine[key] in seen_by_a and theirs[key] not in seen_by_a

    for text in (f"AMN-{theirs['tag']}", theirs["tag"], "Q4186"):
        found = await tenant_a.query(SEARCH, {"filter": {"search": text}, "first": 50})
        assert not {n["id"] for n in found["products"]["nodes"]} & seen_by_b
    for filter in ({"manufacturerId": theirs["maker"]}, {"categoryId": theirs["wound"]}):
        found = await tenant_a.query(SEARCH, {"filter": filter})
        assert found["products"]["totalCount"] == 0

    nodes = await tenant_a.query(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [theirs[k] for k in ("maker", "wound", "specialty", "graft")]},
    )
    assert nodes["nodes"] == [None, None, None, None]
