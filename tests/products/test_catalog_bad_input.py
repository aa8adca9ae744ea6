"""Bad input to the catalog's mutations: each answered with typed errors, nothing changed."""

from __future__ import annotations

import uuid

import pytest

from schema.relay import to_global_id
from tests.products.catalog_ops import (
    COUNTS,
    CREATE_CATEGORY,
    CREATE_MANUFACTURER,
    CREATE_PRODUCT,
    LINK,
    UPDATE_CATEGORY,
    UPDATE_PRODUCT,
    UPDATE_SETTINGS,
    build_catalog,
)


def _codes(data: dict) -> set[tuple[str | None, str]]:
    (payload,) = data.values()
    return {(e["field"], e["code"]) for e in payload["errors"]}


def _product(**fields: object) -> dict:
    return {"input": {"name": "Bad one", "sku": f"BAD-{uuid.uuid4().hex[:6]}", **fields}}


BAD_PRODUCTS = [
    (_product(code="Q41", codeType="HCPCS"), ("input.code", "INVALID")),
    (_product(code="q4186", codeType="HCPCS"), ("input.code", "INVALID")),
    (_product(code="1234-56", codeType="NDC"), ("input.code", "INVALID")),
    (_product(code="12345-678-901", codeType="NDC"), ("input.code", "INVALID")),
    (_product(code="00012345678906", codeType="UPN"), ("input.code", "INVALID")),  # wrong check digit
    (_product(code="Q4186"), ("input.codeType", "REQUIRED")),
    (_product(nationalAsp="-1.00"), ("input.nationalAsp", "NEGATIVE")),
    (_product(nationalAsp="1.001"), ("input.nationalAsp", "INVALID")),
    (_product(pricePerCm2="-0.5"), ("input.pricePerCm2", "NEGATIVE")),
    (_product(commissionRate="101"), ("input.commissionRate", "INVALID")),
    (_product(imageUrl="javascript:alert(1)"), ("input.imageUrl", "INVALID")),
    (_product(documentUrls=["ftp://x"]), ("input.documentUrls.0", "INVALID")),
    (
        _product(sizes=[{"label": "2x2", "widthCm": "-2", "lengthCm": "2"}]),
        ("input.sizes.0.widthCm", "NEGATIVE"),
    ),
    (_product(sizes=[{"label": "a"}, {"label": "a"}]), ("input.sizes.1.label", "DUPLICATE")),
    (_product(name="  "), ("input.name", "REQUIRED")),
    (_product(pricePerCm2="123456789"), ("input.pricePerCm2", "INVALID")),  # past NUMERIC(12,4)
    (_product(sizes=[{"label": "x", "widthCm": "1000000"}]), ("input.sizes.0.widthCm", "INVALID")),
    (
        _product(sizes=[{"label": "x", "widthCm": "99999", "lengthCm": "99999"}]),
        ("input.sizes.0.areaCm2", "INVALID"),
    ),
    (
        _product(sizes=[{"label": "x", "widthCm": "0.001"}]),
        ("input.sizes.0.widthCm", "INVALID"),
    ),  # rounds to 0
    (
        _product(sizes=[{"label": "x", "widthCm": "0.01", "lengthCm": "0.01"}]),
        ("input.sizes.0.areaCm2", "NEGATIVE"),
    ),
    (_product(sizes=[{"label": "a"}, {"label": "a "}]), ("input.sizes.1.label", "DUPLICATE")),
    (
        _product(manufacturerId=to_global_id("Manufacturer", uuid.uuid4())),
        ("input.manufacturerId", "NOT_FOUND"),
    ),
    (_product(categoryId=to_global_id("Product", uuid.uuid4())), ("input.categoryId", "NOT_FOUND")),
]


@pytest.mark.parametrize(("variables", "expected"), BAD_PRODUCTS)
async def test_a_bad_product_is_refused_and_nothing_changes(tenant_a, variables, expected):
    before = await tenant_a.query(COUNTS)
    data = await tenant_a.query(CREATE_PRODUCT, variables)
    assert data["createProduct"]["product"] is None
    assert expected in _codes(data)
    assert await tenant_a.query(COUNTS) == before


async def test_valid_codes_of_every_system_are_taken(tenant_a):
    for code, code_type in (
        ("Q4186", "HCPCS"),
        ("0002-1433-80", "NDC"),
        ("50090-123-01", "NDC"),
        ("50090-1234-1", "NDC"),
        ("50090-1234-01", "NDC"),
        ("50090123401", "NDC"),
        ("00012345678905", "UPN"),
        ("+H123ABC1", "UPN"),
        ("KIT-7/A", "CUSTOM"),
    ):
        data = await tenant_a.query(CREATE_PRODUCT, _product(code=code, codeType=code_type))
        assert data["createProduct"]["errors"] == [], (code, data)


async def test_duplicates_cycles_and_foreign_ids_are_refused(tenant_a, tenant_b):
    ids = await build_catalog(tenant_a)
    theirs = await build_catalog(tenant_b)
    before = await tenant_a.query(COUNTS)

    sku = f"AMN-{ids['tag']}"
    assert ("input.sku", "DUPLICATE") in _codes(await tenant_a.query(CREATE_PRODUCT, _product(sku=sku)))
    taken = await tenant_a.query(CREATE_MANUFACTURER, {"input": {"name": f"Dermagen {ids['tag']}"}})
    assert ("input.name", "DUPLICATE") in _codes(taken)
    cycle = await tenant_a.query(UPDATE_CATEGORY, {"id": ids["skin"], "input": {"parentId": ids["grafts"]}})
    assert ("input.parentId", "CYCLE") in _codes(cycle)

    # Another tenant's IDs are not found, wherever they are used.
    assert ("input.manufacturerId", "NOT_FOUND") in _codes(
        await tenant_a.query(CREATE_PRODUCT, _product(manufacturerId=theirs["maker"]))
    )
    assert ("input.parentId", "NOT_FOUND") in _codes(
        await tenant_a.query(CREATE_CATEGORY, {"input": {"name": "x", "parentId": theirs["wound"]}})
    )
    assert ("id", "NOT_FOUND") in _codes(
        await tenant_a.query(UPDATE_PRODUCT, {"id": theirs["graft"], "input": {"name": "mine now"}})
    )
    assert ("input.specialtyId", "NOT_FOUND") in _codes(
        await tenant_a.query(LINK, {"input": {"productId": ids["graft"], "specialtyId": theirs["specialty"]}})
    )
    assert ("input.minimumOrderAmount", "NEGATIVE") in _codes(
        await tenant_a.query(UPDATE_SETTINGS, {"id": ids["maker"], "input": {"minimumOrderAmount": "-5"}})
    )
    assert ("input.primaryContacts.0", "INVALID") in _codes(
        await tenant_a.query(UPDATE_SETTINGS, {"id": ids["maker"], "input": {"primaryContacts": ["nope"]}})
    )
    assert await tenant_a.query(COUNTS) == before
    untouched = await tenant_b.query(
        "query($id: ID!) { node(id: $id) { ... on Product { name } } }", {"id": theirs["graft"]}
    )
    assert untouched["node"]["name"].startswith("Amnion membrane allograft")


async def test_a_reader_may_not_change_the_catalog(tenant_a):
    result = await tenant_a.raw(CREATE_PRODUCT, _product(), role="viewer")
    assert result["data"] is None or result["data"]["createProduct"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_bad_manufacturers_categories_and_specialties_are_refused(tenant_a):
    ids = await build_catalog(tenant_a)
    before = await tenant_a.query(COUNTS)
    cases = [
        (CREATE_MANUFACTURER, {"input": {"name": " "}}, ("input.name", "REQUIRED")),
        (CREATE_MANUFACTURER, {"input": {"name": "M", "email": "not-mail"}}, ("input.email", "INVALID")),
        (CREATE_MANUFACTURER, {"input": {"name": "M", "website": "ftp://m"}}, ("input.website", "INVALID")),
        (CREATE_MANUFACTURER, {"input": {"name": "M", "contactInfo": [1]}}, ("input.contactInfo", "INVALID")),
        (CREATE_CATEGORY, {"input": {"name": ""}}, ("input.name", "REQUIRED")),
        (
            "mutation($input: SpecialtyInput!) { createSpecialty(input: $input) { errors { field code } } }",
            {"input": {"code": "Not A Code", "name": "x"}},
            ("input.code", "INVALID"),
        ),
        (
            "mutation($id: ID!) { deactivateProductCategory(id: $id) { errors { field code } } }",
            {"id": ids["wound"]},
            ("id", "IN_USE"),
        ),
        (
            "mutation($id: ID!) { deactivateManufacturer(id: $id) { errors { field code } } }",
            {"id": ids["graft"]},  # an ID of another type
            ("id", "NOT_FOUND"),
        ),
    ]
    for query, variables, expected in cases:
        assert expected in _codes(await tenant_a.query(query, variables)), (variables, expected)
    assert await tenant_a.query(COUNTS) == before
