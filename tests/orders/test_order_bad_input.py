"""Drafts and their items refuse bad input with typed errors (field, code) and change nothing:
no order, item, history, shipment, audit row, event or stock movement appears, no version
moves. Unknown IDs, IDs of the wrong type and another tenant's IDs all read as NOT_FOUND on
the field that named them. (Workflow steps and sales reps: test_order_bad_input_steps.py.)"""

from __future__ import annotations

import uuid

from schema.relay import to_global_id
from tests.orders.order_state import deactivate_product, make_size, reach, unchanged
from tests.orders.orders_ops import (
    ADD_ITEM,
    CREATE,
    REMOVE_ITEM,
    UPDATE,
    UPDATE_ITEM,
    draft,
    draft_input,
    facility,
    make_product,
    ok,
    organization,
    patient,
    provider,
    refused,
)


def unknown(kind: str) -> str:
    return to_global_id(kind, uuid.uuid4())


async def _create(owner_engine, tenant, values, *others) -> set:
    async with unchanged(owner_engine, tenant, *others):
        return await refused(tenant, CREATE, "createOrder", values)


async def _edit(owner_engine, tenant, operation, name, values, *others) -> set:
    async with unchanged(owner_engine, tenant, *others):
        return await refused(tenant, operation, name, values)


async def test_unknown_and_wrong_type_ids_are_not_found_on_their_field(owner_engine, tenant_a):
    made = await make_product(owner_engine, tenant_a)
    base = draft_input(tenant_a, made)
    cases = [
        ("facilityId", unknown("Facility")),
        ("facilityId", patient(tenant_a)),
        ("providerId", unknown("Provider")),
        ("providerId", facility(tenant_a)),
        ("patientId", unknown("Patient")),
        ("patientId", provider(tenant_a)),
        ("salesRepId", unknown("SalesRep")),
        ("salesRepId", patient(tenant_a)),
        ("organizationId", unknown("Organization")),
        ("organizationId", facility(tenant_a)),
    ]
    for field, value in cases:
        got = await _create(owner_engine, tenant_a, base | {field: value})
        assert got == {(f"input.{field}", "NOT_FOUND")}, (field, value, got)
    for value in (unknown("Product"), facility(tenant_a)):
        items = [{"productId": made, "quantity": 1}, {"productId": value, "quantity": 1}]
        got = await _create(owner_engine, tenant_a, base | {"items": items})
        assert got == {("input.items.1.productId", "NOT_FOUND")}, got
    async with unchanged(owner_engine, tenant_a):  # not an ID at all: the request is refused whole
        result = await tenant_a.raw(CREATE, {"input": base | {"facilityId": "not-a-global-id"}})
    assert result.get("data") is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["INVALID_ID"]


async def test_another_tenants_ids_are_not_found(owner_engine, tenant_a, tenant_b):
    theirs = await make_product(owner_engine, tenant_b)
    their_order = await draft(owner_engine, tenant_b)
    base = draft_input(tenant_a, await make_product(owner_engine, tenant_a))
    cases = [
        ("facilityId", facility(tenant_b)),
        ("providerId", provider(tenant_b)),
        ("patientId", patient(tenant_b)),
        ("organizationId", organization(tenant_b)),
    ]
    for field, value in cases:
        got = await _create(owner_engine, tenant_a, base | {field: value}, tenant_b)
        assert got == {(f"input.{field}", "NOT_FOUND")}, (field, got)
    got = await _create(
        owner_engine, tenant_a, base | {"items": [{"productId": theirs, "quantity": 1}]}, tenant_b
    )
    assert got == {("input.items.0.productId", "NOT_FOUND")}

    ours = await draft(owner_engine, tenant_a)
    adding = {"orderId": ours["id"], "version": ours["version"], "productId": theirs, "quantity": 1}
    assert await _edit(owner_engine, tenant_a, ADD_ITEM, "addOrderItem", adding, tenant_b) == {
        ("input.productId", "NOT_FOUND")
    }
    theirs_by_id = {"id": their_order["id"], "version": their_order["version"]}
    assert await _edit(
        owner_engine, tenant_a, UPDATE, "updateOrder", theirs_by_id | {"notes": "x"}, tenant_b
    ) == {("id", "NOT_FOUND")}
    adding = {"orderId": their_order["id"], "version": 1, "productId": theirs, "quantity": 1}
    assert await _edit(owner_engine, tenant_a, ADD_ITEM, "addOrderItem", adding, tenant_b) == {
        ("input.orderId", "NOT_FOUND")
    }
    item = {"id": their_order["items"]["nodes"][0]["id"], "version": 1}
    assert await _edit(
        owner_engine, tenant_a, UPDATE_ITEM, "updateOrderItem", item | {"quantity": 3}, tenant_b
    ) == {("id", "NOT_FOUND")}
    assert await _edit(owner_engine, tenant_a, REMOVE_ITEM, "removeOrderItem", item, tenant_b) == {
        ("id", "NOT_FOUND")
    }
    changed = {"id": ours["id"], "version": ours["version"], "patientId": patient(tenant_b)}
    assert await _edit(owner_engine, tenant_a, UPDATE, "updateOrder", changed, tenant_b) == {
        ("input.patientId", "NOT_FOUND")
    }


async def test_quantities_are_positive_and_bounded(owner_engine, tenant_a):
    made = await make_product(owner_engine, tenant_a)
    order = await draft(owner_engine, tenant_a)
    item = order["items"]["nodes"][0]["id"]
    for quantity, code in ((0, "INVALID"), (-1, "NEGATIVE"), (100_001, "INVALID")):
        got = await _create(owner_engine, tenant_a, draft_input(tenant_a, made, quantity))
        assert got == {("input.items.0.quantity", code)}, (quantity, got)
        adding = {
            "orderId": order["id"],
            "version": order["version"],
            "productId": made,
            "quantity": quantity,
        }
        got = await _edit(owner_engine, tenant_a, ADD_ITEM, "addOrderItem", adding)
        assert got == {("input.quantity", code)}, (quantity, got)
        changing = {"id": item, "version": order["version"], "quantity": quantity}
        got = await _edit(owner_engine, tenant_a, UPDATE_ITEM, "updateOrderItem", changing)
        assert got == {("input.quantity", code)}, (quantity, got)
    changing = {"id": item, "version": order["version"], "quantity": None}
    assert await _edit(owner_engine, tenant_a, UPDATE_ITEM, "updateOrderItem", changing) == {
        ("input.quantity", "REQUIRED")
    }


async def test_inactive_and_deactivated_products_are_refused(owner_engine, tenant_a):
    order = await draft(owner_engine, tenant_a)
    inactive = await make_product(owner_engine, tenant_a, active=False)
    deactivated = await make_product(owner_engine, tenant_a)
    await deactivate_product(owner_engine, tenant_a, deactivated)
    for made in (inactive, deactivated):
        got = await _create(owner_engine, tenant_a, draft_input(tenant_a, made))
        assert got == {("input.items.0.productId", "INACTIVE")}, got
        adding = {"orderId": order["id"], "version": order["version"], "productId": made, "quantity": 1}
        got = await _edit(owner_engine, tenant_a, ADD_ITEM, "addOrderItem", adding)
        assert got == {("input.productId", "INACTIVE")}, got


async def test_a_size_of_another_product_is_not_found(owner_engine, tenant_a):
    made, other = await make_product(owner_engine, tenant_a), await make_product(owner_engine, tenant_a)
    own_size, wrong = (
        await make_size(owner_engine, tenant_a, made),
        await make_size(owner_engine, tenant_a, other),
    )
    items = [{"productId": made, "quantity": 1, "sizeId": wrong}]
    got = await _create(owner_engine, tenant_a, draft_input(tenant_a) | {"items": items})
    assert got == {("input.items.0.sizeId", "NOT_FOUND")}
    order = await ok(
        tenant_a, CREATE, "createOrder", draft_input(tenant_a) | {"items": [items[0] | {"sizeId": own_size}]}
    )
    assert order["items"]["nodes"][0]["sizeLabel"] == "2x2 cm"
    for size in (wrong, unknown("ProductSize"), made):
        adding = {"orderId": order["id"], "version": order["version"], "productId": made, "quantity": 1}
        got = await _edit(owner_engine, tenant_a, ADD_ITEM, "addOrderItem", adding | {"sizeId": size})
        assert got == {("input.sizeId", "NOT_FOUND")}, got
        changing = {"id": order["items"]["nodes"][0]["id"], "version": order["version"], "sizeId": size}
        got = await _edit(owner_engine, tenant_a, UPDATE_ITEM, "updateOrderItem", changing)
        assert got == {("input.sizeId", "NOT_FOUND")}, got


async def test_items_come_from_one_manufacturer(owner_engine, tenant_a):
    fern = await make_product(owner_engine, tenant_a)
    granite = await make_product(owner_engine, tenant_a, maker_key="granite")
    items = [{"productId": fern, "quantity": 1}, {"productId": granite, "quantity": 1}]
    got = await _create(owner_engine, tenant_a, draft_input(tenant_a) | {"items": items})
    assert got == {("input.items.1.productId", "MIXED_MANUFACTURERS")}
    order = await draft(owner_engine, tenant_a)
    adding = {"orderId": order["id"], "version": order["version"], "productId": granite, "quantity": 1}
    assert await _edit(owner_engine, tenant_a, ADD_ITEM, "addOrderItem", adding) == {
        ("input.productId", "MIXED_MANUFACTURERS")
    }


async def test_the_facility_belongs_to_the_organization_and_the_provider_orders_there(owner_engine, tenant_a):
    made = await make_product(owner_engine, tenant_a)
    outside = draft_input(
        tenant_a, made, facilityId=facility(tenant_a, 2), organizationId=organization(tenant_a)
    )
    assert await _create(owner_engine, tenant_a, outside) == {("input.facilityId", "INVALID")}
    elsewhere = draft_input(tenant_a, made, providerId=provider(tenant_a, 1))
    assert await _create(owner_engine, tenant_a, elsewhere) == {("input.providerId", "INVALID")}
    order = await draft(owner_engine, tenant_a)
    at = {"id": order["id"], "version": order["version"]}
    cases = [
        ({"organizationId": organization(tenant_a, "Org Two")}, ("input.facilityId", "INVALID")),
        ({"facilityId": facility(tenant_a, 1)}, ("input.providerId", "INVALID")),
        ({"providerId": provider(tenant_a, 1)}, ("input.providerId", "INVALID")),
        ({"facilityId": None}, ("input.facilityId", "REQUIRED")),
    ]
    for change, expected in cases:
        assert await _edit(owner_engine, tenant_a, UPDATE, "updateOrder", at | change) == {expected}, change


BAD_DETAILS = [
    ({"placeOfService": "1A"}, "input.placeOfService", "INVALID"),
    ({"globalPeriodCpt": "12"}, "input.globalPeriodCpt", "INVALID"),
    ({"providerPtan": "no spaces!"}, "input.providerPtan", "INVALID"),
    ({"macJurisdiction": "X" * 11}, "input.macJurisdiction", "INVALID"),
    ({"woundLengthCm": "-1"}, "input.woundLengthCm", "NEGATIVE"),
    ({"woundWidthCm": "0"}, "input.woundWidthCm", "NEGATIVE"),
    ({"woundDepthCm": "-0.5"}, "input.woundDepthCm", "NEGATIVE"),
    ({"woundLengthCm": "1.234"}, "input.woundLengthCm", "INVALID"),
    ({"woundWidthCm": "10000"}, "input.woundWidthCm", "INVALID"),
    ({"woundLengthCm": "NaN"}, "input.woundLengthCm", "INVALID"),
    ({"treatmentDurationWeeks": 9999}, "input.treatmentDurationWeeks", "INVALID"),
    ({"treatmentDurationWeeks": -1}, "input.treatmentDurationWeeks", "NEGATIVE"),
    ({"snfDays": 1001}, "input.snfDays", "INVALID"),
    ({"metadata": [1, 2]}, "input.metadata", "INVALID"),
    ({"metadata": None}, "input.metadata", "REQUIRED"),
    ({"previousTreatments": {"kind": "foam"}}, "input.previousTreatments", "INVALID"),
    ({"serviceDate": "1999-12-31"}, "input.serviceDate", "INVALID"),
    ({"requestedDeliveryDate": "1990-01-01"}, "input.requestedDeliveryDate", "INVALID"),
    ({"globalPeriodSurgeryDate": "2101-01-01"}, "input.globalPeriodSurgeryDate", "INVALID"),
    ({"subscriberDateOfBirth": "1850-01-01"}, "input.subscriberDateOfBirth", "INVALID"),
    ({"payerPhone": "abc"}, "input.payerPhone", "INVALID"),
    ({"payerName": "   "}, "input.payerName", "REQUIRED"),
    ({"notes": "x" * 4001}, "input.notes", "TOO_LONG"),
    ({"deliveryInstructions": "x" * 1001}, "input.deliveryInstructions", "TOO_LONG"),
    ({"snfStatus": None}, "input.snfStatus", "REQUIRED"),
    ({"type": None}, "input.type", "REQUIRED"),
]


async def test_bad_details_are_refused_on_create_and_update(owner_engine, tenant_a):
    made = await make_product(owner_engine, tenant_a)
    order = await draft(owner_engine, tenant_a)
    for change, field, code in BAD_DETAILS:
        got = await _create(owner_engine, tenant_a, draft_input(tenant_a, made) | change)
        assert got == {(field, code)}, (change, got)
        changing = {"id": order["id"], "version": order["version"], **change}
        got = await _edit(owner_engine, tenant_a, UPDATE, "updateOrder", changing)
        assert got == {(field, code)}, (change, got)
    together = {"placeOfService": "1A", "payerPhone": "abc", "woundLengthCm": "-2", "notes": "x" * 4001}
    got = await _create(owner_engine, tenant_a, draft_input(tenant_a, made) | together)
    assert got == {
        ("input.placeOfService", "INVALID"),
        ("input.payerPhone", "INVALID"),
        ("input.woundLengthCm", "NEGATIVE"),
        ("input.notes", "TOO_LONG"),
    }


async def test_item_details_are_checked(owner_engine, tenant_a):
    made = await make_product(owner_engine, tenant_a)
    order = await draft(owner_engine, tenant_a)
    cases = [
        ({"specifications": [1]}, "specifications", "INVALID"),
        ({"notes": "x" * 1001}, "notes", "TOO_LONG"),
    ]
    for change, field, code in cases:
        items = [{"productId": made, "quantity": 1, **change}]
        got = await _create(owner_engine, tenant_a, draft_input(tenant_a) | {"items": items})
        assert got == {(f"input.items.0.{field}", code)}, got
        changing = {"id": order["items"]["nodes"][0]["id"], "version": order["version"], **change}
        got = await _edit(owner_engine, tenant_a, UPDATE_ITEM, "updateOrderItem", changing)
        assert got == {(f"input.{field}", code)}, got


async def test_a_subscriber_needs_a_patient(owner_engine, tenant_a):
    made = await make_product(owner_engine, tenant_a)
    values = draft_input(tenant_a, made, subscriberName="Pat Doe")
    del values["patientId"]
    assert await _create(owner_engine, tenant_a, values) == {("input.subscriberName", "REQUIRED")}
    values = draft_input(tenant_a, made, subscriberDateOfBirth="1970-01-01", patientId=None)
    assert await _create(owner_engine, tenant_a, values) == {("input.subscriberDateOfBirth", "REQUIRED")}
    order = await draft(owner_engine, tenant_a)
    changing = {
        "id": order["id"],
        "version": order["version"],
        "patientId": None,
        "subscriberName": "Pat Doe",
    }
    assert await _edit(owner_engine, tenant_a, UPDATE, "updateOrder", changing) == {
        ("input.subscriberName", "REQUIRED")
    }


async def test_unknown_orders_and_items_and_stale_versions(owner_engine, tenant_a):
    order = await draft(owner_engine, tenant_a)
    made = await make_product(owner_engine, tenant_a)
    item = order["items"]["nodes"][0]["id"]
    cases = [
        (UPDATE, "updateOrder", {"id": unknown("Order"), "version": 1, "notes": "x"}, ("id", "NOT_FOUND")),
        (UPDATE, "updateOrder", {"id": item, "version": 1, "notes": "x"}, ("id", "NOT_FOUND")),
        (UPDATE, "updateOrder", {"id": order["id"], "version": 0, "notes": "x"}, ("input.version", "STALE")),
        (UPDATE, "updateOrder", {"id": order["id"], "version": 2, "notes": "x"}, ("input.version", "STALE")),
        (ADD_ITEM, "addOrderItem", {"orderId": unknown("Order"), "version": 1, "productId": made, "quantity": 1},
         ("input.orderId", "NOT_FOUND")),
        (ADD_ITEM, "addOrderItem", {"orderId": order["id"], "version": 5, "productId": made, "quantity": 1},
         ("input.version", "STALE")),
        (UPDATE_ITEM, "updateOrderItem", {"id": unknown("OrderItem"), "version": 1, "quantity": 2}, ("id", "NOT_FOUND")),
        (UPDATE_ITEM, "updateOrderItem", {"id": order["id"], "version": 1, "quantity": 2}, ("id", "NOT_FOUND")),
        (UPDATE_ITEM, "updateOrderItem", {"id": item, "version": 3, "quantity": 2}, ("input.version", "STALE")),
        (REMOVE_ITEM, "removeOrderItem", {"id": unknown("OrderItem"), "version": 1}, ("id", "NOT_FOUND")),
        (REMOVE_ITEM, "removeOrderItem", {"id": item, "version": 0}, ("input.version", "STALE")),
    ]  # fmt: skip
    for operation, name, values, expected in cases:
        assert await _edit(owner_engine, tenant_a, operation, name, values) == {expected}, (name, values)


async def test_an_order_past_review_is_not_editable(owner_engine, tenant_a):
    made = await make_product(owner_engine, tenant_a)
    for status in ("pending_admin_review", "approved", "rejected", "cancelled"):
        order = await reach(owner_engine, tenant_a, status)
        at = {"version": order["version"]}
        item = {"id": order["items"]["nodes"][0]["id"]} | at
        cases = [
            (UPDATE, "updateOrder", {"id": order["id"], "notes": "later"} | at),
            (ADD_ITEM, "addOrderItem", {"orderId": order["id"], "productId": made, "quantity": 1} | at),
            (UPDATE_ITEM, "updateOrderItem", item | {"quantity": 5}),
            (REMOVE_ITEM, "removeOrderItem", item),
        ]
        for operation, name, values in cases:
            got = await _edit(owner_engine, tenant_a, operation, name, values)
            assert got == {("id", "NOT_EDITABLE")}, (status, name, got)
