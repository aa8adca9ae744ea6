"""The example operations in graphql/operations/ work as documented."""

from __future__ import annotations

from pathlib import Path

from medgraph.demo import DEMO_PASSWORD
from tests.support import gql

OPERATIONS = Path(__file__).resolve().parent.parent / "graphql" / "operations"


def op(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text()


async def test_login_refresh_and_me(tenant_a):
    login = await gql(
        tenant_a.client,
        op("Login"),
        {"email": tenant_a.email("manager"), "password": DEMO_PASSWORD, "tenant": tenant_a.slug},
    )
    payload = login["data"]["login"]
    assert payload["errors"] == [] and payload["user"]["email"] == tenant_a.email("manager")
    refreshed = await gql(tenant_a.client, op("RefreshToken"), {"refreshToken": payload["refreshToken"]})
    token = refreshed["data"]["refreshToken"]["accessToken"]
    me = await gql(tenant_a.client, op("Me"), headers={"authorization": f"Bearer {token}"})
    assert me["data"]["me"]["roles"] == ["manager"]
    assert me["data"]["me"]["tenant"]["slug"] == tenant_a.slug


async def test_paginated_filtered_list(tenant_a):
    first = await tenant_a.query(op("Organizations"), {"first": 2})
    page = first["organizations"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"] is True
    rest = await tenant_a.query(op("Organizations"), {"first": 2, "after": page["pageInfo"]["endCursor"]})
    names = [e["node"]["name"] for e in page["edges"] + rest["organizations"]["edges"]]
    assert names == sorted(names) and len(set(names)) == 3
    assert rest["organizations"]["pageInfo"]["hasNextPage"] is False
    filtered = await tenant_a.query(op("Organizations"), {"search": "two", "types": ["HOSPITAL"]})
    assert [e["node"]["name"] for e in filtered["organizations"]["edges"]] == ["Org Two"]


async def test_create_with_its_error_case(tenant_a):
    created = await tenant_a.query(
        op("CreateOrganization"), {"input": {"name": "Fresh Org", "type": "PHARMACY"}}
    )
    assert created["createOrganization"]["errors"] == []
    again = await tenant_a.query(op("CreateOrganization"), {"input": {"name": "Fresh Org"}})
    assert again["createOrganization"] == {
        "organization": None,
        "errors": [{"field": "input.name", "code": "DUPLICATE", "message": "This value is already in use"}],
    }


async def test_patient_chart(tenant_a):
    data = await tenant_a.query(
        op("PatientChart"), {"mrn": "MRN-1001"}, headers={"x-access-reason": "treatment"}
    )
    (patient,) = data["patients"]["nodes"]
    assert patient["mrn"] == "MRN-1001" and patient["facility"]["name"]


async def test_search_products_in_the_demo_catalog(tenant_a):
    words = await tenant_a.query(op("SearchProducts"), {"search": "foam"})
    found = [e["node"] for e in words["products"]["edges"]]
    assert found and all("foam" in (n["name"] + str(n["sku"])).lower() or n["manufacturer"] for n in found)
    prefix = await tenant_a.query(op("SearchProducts"), {"search": "Q41"})
    codes = [e["node"]["code"] for e in prefix["products"]["edges"]]
    assert codes and all(code.startswith("Q41") for code in codes)
    exact = await tenant_a.query(op("SearchProducts"), {"search": codes[-1]})
    assert exact["products"]["edges"][0]["node"]["code"] == codes[-1]
    page = await tenant_a.query(op("SearchProducts"), {"first": 2})
    after = page["products"]["pageInfo"]["endCursor"]
    rest = await tenant_a.query(op("SearchProducts"), {"first": 2, "after": after})
    assert not {e["node"]["id"] for e in page["products"]["edges"]} & {
        e["node"]["id"] for e in rest["products"]["edges"]
    }


async def test_reserve_stock_with_its_error_case(tenant_a):
    levels = await tenant_a.query("{ inventoryLevels(first: 50) { nodes { id available } } }")
    level = max(levels["inventoryLevels"]["nodes"], key=lambda n: n["available"])
    too_many = await tenant_a.query(
        op("ReserveStock"), {"input": {"levelId": level["id"], "quantity": level["available"] + 1}}
    )
    assert too_many["reserveStock"]["inventoryLevel"] is None
    assert [(e["field"], e["code"]) for e in too_many["reserveStock"]["errors"]] == [
        ("input.quantity", "INSUFFICIENT_STOCK")
    ]
    done = await tenant_a.query(op("ReserveStock"), {"input": {"levelId": level["id"], "quantity": 1}})
    assert done["reserveStock"]["inventoryLevel"]["available"] == level["available"] - 1
