"""The catalog through GraphQL: manufacturers with settings and contacts, the category
tree, specialties, products with sizes, and search with its filters and ranking."""

from __future__ import annotations

import sqlalchemy as sa

from tests.products.catalog_ops import (
    CREATE_PRODUCT,
    SEARCH,
    SET_CONTACTS,
    UPDATE_CATEGORY,
    UPDATE_PRODUCT,
    UPDATE_SETTINGS,
    build_catalog,
    ok,
)


async def test_a_catalog_is_built_and_read_back_nested(tenant_a):
    ids = await build_catalog(tenant_a)
    settings = await ok(
        tenant_a,
        UPDATE_SETTINGS,
        {
            "id": ids["maker"],
            "input": {
                "submissionMethod": "PORTAL",
                "primaryContacts": ["orders@derm.test"],
                "verificationRequired": True,
                "verificationType": "INSURANCE",
                "minimumOrderAmount": "500.00",
                "leadTimeDays": 3,
                "onboardingDocuments": ["agreement", "w9"],
            },
        },
    )
    assert settings["settings"]["minimumOrderAmount"] == "500.00"
    assert settings["settings"]["onboardingDocuments"] == ["agreement", "w9"]
    contact = await ok(
        tenant_a,
        SET_CONTACTS,
        {
            "id": ids["maker"],
            "purpose": "ORDER",
            "input": {"primaryRecipients": ["rush@derm.test"], "notes": "Rush"},
        },
    )
    again = await ok(
        tenant_a,
        SET_CONTACTS,
        {"id": ids["maker"], "purpose": "ORDER", "input": {"primaryRecipients": ["std@derm.test"]}},
    )
    assert again["id"] == contact["id"] and again["primaryRecipients"] == ["std@derm.test"]

    data = await tenant_a.query(
        """query($id: ID!) { node(id: $id) { ... on ProductCategory { name
          children(first: 3) { nodes { name children(first: 3) { nodes { name
            products(first: 3) { nodes { name code codeType nationalAsp
              manufacturer { name settings { leadTimeDays } contacts(first: 3) { nodes { purpose notes } } }
              sizes(first: 5) { nodes { label areaCm2 } }
              specialties(first: 3) { nodes { isPrimary specialty { code } } } } } } } } } } } }""",
        {"id": ids["wound"]},
    )
    (skin,) = data["node"]["children"]["nodes"]
    (amniotic,) = skin["children"]["nodes"]
    (graft,) = amniotic["products"]["nodes"]
    assert graft["code"] == "Q4186" and graft["codeType"] == "HCPCS" and graft["nationalAsp"] == "1234.50"
    assert graft["manufacturer"]["settings"]["leadTimeDays"] == 3
    assert graft["manufacturer"]["contacts"]["nodes"] == [{"purpose": "ORDER", "notes": "Rush"}]
    assert graft["sizes"]["nodes"] == [
        {"label": "2x2 cm", "areaCm2": "4.00"},
        {"label": "disc", "areaCm2": "1.77"},
    ]
    assert graft["specialties"]["nodes"][0]["isPrimary"] is True


async def test_search_finds_words_prefixes_and_exact_codes_first(tenant_a):
    ids = await build_catalog(tenant_a)
    mine = {"manufacturerId": ids["maker"]}  # the tenant's demo catalog is searched too

    async def search(text: str, **more: object) -> list[dict]:
        data = await tenant_a.query(SEARCH, {"filter": {"search": text, **mine, **more}, "first": 50})
        return data["products"]["nodes"]  # type: ignore[no-any-return]

    names = [n["name"] for n in await search("amnion")]
    assert names[0].startswith("Amnion membrane allograft")  # a name outranks a description
    assert len(names) == 2 and names[1].startswith("Silicone foam dressing")
    assert [n["code"] for n in await search("q4186")] == ["Q4186"]
    assert [n["code"] for n in await search("Q41")] == ["Q4186"]  # a code prefix
    assert len(await search("dermagen")) == 2  # the manufacturer's name
    assert await search("---") == []  # nothing to search by finds nothing
    assert len(await search("  ")) == 2  # a blank search searches nothing

    everywhere = {"manufacturerId": None}
    by_sku = await search(f"MUP-{ids['tag']}", **everywhere)
    assert [n["sku"] for n in by_sku] == [f"MUP-{ids['tag']}"]
    assert [n["code"] for n in await search("50090-1234-01", **everywhere)][:1] == ["50090-1234-01"]
    assert [n["sku"] for n in await search("5009012340", **everywhere)] == [f"MUP-{ids['tag']}"]  # a prefix


async def test_an_exact_code_ranks_above_words_that_match_better(tenant_a):
    ids = await build_catalog(tenant_a)
    data = await tenant_a.query(
        SEARCH, {"filter": {"search": "A6209", "manufacturerId": ids["maker"]}, "first": 5}
    )
    assert data["products"]["nodes"][0]["id"] == ids["foam"]


async def test_a_ranked_search_pages_with_cursors(tenant_a):
    await build_catalog(tenant_a)
    whole = await tenant_a.query(SEARCH, {"filter": {"search": "amnion"}, "first": 50})
    assert len(whole["products"]["nodes"]) >= 2
    seen, after = [], None
    while True:
        page = await tenant_a.query(SEARCH, {"filter": {"search": "amnion"}, "first": 2, "after": after})
        seen += [n["id"] for n in page["products"]["nodes"]]
        if not page["products"]["pageInfo"]["hasNextPage"]:
            break
        after = page["products"]["pageInfo"]["endCursor"]
    assert seen == [n["id"] for n in whole["products"]["nodes"]]


async def test_filters_cover_a_category_subtree_specialty_code_and_flags(tenant_a):
    ids = await build_catalog(tenant_a)

    async def skus(filter: dict, order: dict | None = None) -> list[str]:
        data = await tenant_a.query(SEARCH, {"filter": filter, "order": order, "first": 50})
        return sorted(n["sku"].split("-")[0] for n in data["products"]["nodes"] if ids["tag"] in n["sku"])

    assert await skus({"categoryId": ids["wound"]}) == ["AMN", "FOAM"]  # the whole subtree
    assert await skus({"categoryId": ids["grafts"]}) == ["AMN"]
    assert await skus({"specialtyId": ids["specialty"]}) == ["AMN"]
    assert await skus({"manufacturerId": ids["maker"]}) == ["AMN", "FOAM"]
    assert await skus({"code": "50090123401"}) == ["MUP"]
    assert await skus({"codeTypes": ["NDC"]}) == ["MUP"]
    assert await skus({"types": ["DRUG"]}) == ["MUP"]
    assert await skus({"requiresVerification": True}) == ["AMN"]
    assert await skus({"categoryId": ids["maker"]}) == []  # an ID of another type matches nothing
    by_price = await tenant_a.query(
        SEARCH, {"filter": {"manufacturerId": ids["maker"]}, "order": {"field": "PRICE", "direction": "DESC"}}
    )
    assert [n["sku"].split("-")[0] for n in by_price["products"]["nodes"]] == ["AMN", "FOAM"]


async def test_moving_a_category_rewrites_the_subtree_and_a_cycle_is_refused(tenant_a, owner_engine):
    ids = await build_catalog(tenant_a)
    cycle = await tenant_a.query(UPDATE_CATEGORY, {"id": ids["wound"], "input": {"parentId": ids["grafts"]}})
    assert [(e["field"], e["code"]) for e in cycle["updateProductCategory"]["errors"]] == [
        ("input.parentId", "CYCLE")
    ]
    self_parent = await tenant_a.query(
        UPDATE_CATEGORY, {"id": ids["skin"], "input": {"parentId": ids["skin"]}}
    )
    assert self_parent["updateProductCategory"]["errors"][0]["code"] == "CYCLE"

    moved = await ok(tenant_a, UPDATE_CATEGORY, {"id": ids["skin"], "input": {"parentId": None}})
    assert moved["parent"] is None
    assert await _search_skus(tenant_a, {"categoryId": ids["wound"]}) == ["FOAM"]
    assert await _search_skus(tenant_a, {"categoryId": ids["skin"]}) == ["AMN"]
    async with owner_engine.connect() as conn:  # the database's guard, should a move slip past the service
        refused = await conn.execute(
            sa.text(
                "SELECT count(*) FROM product_categories WHERE tenant_id = :t AND NOT (id = path[array_length(path, 1)])"
            ),
            {"t": tenant_a.id},
        )
        assert refused.scalar() == 0


async def _search_skus(tenant, filter: dict) -> list[str]:
    data = await tenant.query(SEARCH, {"filter": filter, "first": 50})
    return sorted(
        n["sku"].split("-")[0]
        for n in data["products"]["nodes"]
        if n["sku"].startswith(("AMN-", "FOAM-", "MUP-"))
    )


async def test_updating_a_product_keeps_sizes_by_label_and_deactivating_hides_it(tenant_a):
    ids = await build_catalog(tenant_a)
    updated = await ok(
        tenant_a,
        UPDATE_PRODUCT,
        {"id": ids["graft"], "input": {"code": "Q4101", "sizes": [{"label": "disc", "areaCm2": "2.00"}]}},
    )
    assert updated["code"] == "Q4101" and updated["sizes"]["nodes"] == [{"label": "disc", "areaCm2": "2.00"}]
    found = await tenant_a.query(SEARCH, {"filter": {"search": "Q4101", "manufacturerId": ids["maker"]}})
    assert [n["id"] for n in found["products"]["nodes"]] == [ids["graft"]]
    gone = await tenant_a.query(
        "mutation($id: ID!) { deactivateProduct(id: $id) { product { isActive deactivatedAt } errors { code } } }",
        {"id": ids["graft"]},
    )
    assert gone["deactivateProduct"]["product"]["isActive"] is False
    assert "AMN" not in await _search_skus(tenant_a, {"categoryId": ids["wound"]})


async def test_search_filters_and_nested_catalog_reads_are_compiled(tenant_a, api_engine):
    import httpx

    from tests.support import app_with

    ids = await build_catalog(tenant_a)
    app = app_with(api_engine, compiled_reads_verify=False, execution_info=True)
    headers = {"authorization": f"Bearer {await tenant_a.token()}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://medgraph.test"
    ) as client:
        for filter in (
            {"search": "amnion"},
            {"search": "Q41", "manufacturerId": ids["maker"]},
            {"categoryId": ids["wound"], "specialtyId": ids["specialty"], "codeTypes": ["HCPCS"]},
        ):
            body = {"query": SEARCH, "variables": {"filter": filter, "first": 5}}
            answer = (await client.post("/graphql", json=body, headers=headers)).json()
            assert "errors" not in answer, answer
            assert answer["extensions"]["medgraph"]["execution"] == "compiled", answer["extensions"]


async def test_words_of_any_script_are_searched(tenant_a):
    ids = await build_catalog(tenant_a)
    made = await ok(
        tenant_a,
        CREATE_PRODUCT,
        {
            "input": {
                "name": f"Ünna boot wrap {ids['tag']}",
                "sku": f"UNNA-{ids['tag']}",
                "description": "Zinkleim 日本",
            }
        },
    )
    for text in ("ünna", "Ünna boot", "zinkleim", "日本"):
        found = await tenant_a.query(SEARCH, {"filter": {"search": text}, "first": 50})
        assert made["id"] in [n["id"] for n in found["products"]["nodes"]], text


async def test_crafted_cursors_are_refused_not_failed(tenant_a):
    import base64
    import uuid as uuid_

    def cursor(value: str) -> str:
        return base64.urlsafe_b64encode(f'["{value}","{uuid_.uuid4()}"]'.encode()).decode()

    cases = [
        ('{ products(filter: {search: "amnion"}, after: $c) { totalCount } }', "4294967296"),
        ("{ products(orderBy: {field: PRICE}, after: $c) { totalCount } }", "1e30"),
        ("{ products(orderBy: {field: PRICE}, after: $c) { totalCount } }", "Infinity"),
        ("{ inventoryLevels(orderBy: {field: AVAILABLE}, after: $c) { totalCount } }", "4294967296"),
    ]
    for selection, value in cases:
        query = "query($c: String) " + selection
        answer = await tenant_a.raw(query, {"c": cursor(value)})
        assert answer["errors"][0]["message"] == "Invalid cursor", (value, answer)
        assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
