"""The order's PHI: the patient's name is read through `patient`, never stored on the
order; the subscriber's name and date of birth are sealed, opened only for readers with
patients.read_phi, and each read is logged against the order's patient."""

from __future__ import annotations

import sqlalchemy as sa

from app.db import tenant_transaction
from schema.relay import from_global_id
from tests.orders.orders_ops import CREATE, draft_input, make_product, ok

READ = """query($id: ID!) { order(id: $id) { orderNumber subscriberRelationship subscriberName
  subscriberDateOfBirth patient { id firstName } } }"""


async def test_subscriber_details_are_sealed_and_their_reads_logged(owner_engine, tenant_a):
    product = await make_product(owner_engine, tenant_a)
    values = draft_input(tenant_a, product, 1)
    values |= {
        "subscriberName": "Jane Roe",
        "subscriberDateOfBirth": "1960-02-03",
        "subscriberRelationship": "SPOUSE",
    }
    order = await ok(tenant_a, CREATE, "createOrder", values)
    order_id = from_global_id(order["id"])[1]
    patient_id = from_global_id(values["patientId"])[1]

    async with tenant_transaction(owner_engine, str(tenant_a.id)) as conn:
        row = (
            await conn.execute(
                sa.text("SELECT subscriber_name_enc, subscriber_dob_enc FROM orders WHERE id = :id"),
                {"id": order_id},
            )
        ).one()
        audit = await conn.scalar(
            sa.text("SELECT changes::text FROM audit_log WHERE entity_id = :id AND action = 'order.create'"),
            {"id": order_id},
        )
    assert b"Jane" not in bytes(row.subscriber_name_enc) and b"1960" not in bytes(row.subscriber_dob_enc)
    assert "Jane" not in audit and "[redacted]" in audit

    read = (await tenant_a.query(READ, {"id": order["id"]}, role="manager"))["order"]
    assert read["subscriberName"] == "Jane Roe" and read["subscriberDateOfBirth"] == "1960-02-03"
    assert read["subscriberRelationship"] == "SPOUSE"
    async with tenant_transaction(owner_engine, str(tenant_a.id)) as conn:
        logged = (
            (
                await conn.execute(
                    sa.text("SELECT fields FROM phi_access_log WHERE patient_id = :id"), {"id": patient_id}
                )
            )
            .scalars()
            .all()
        )
    assert any("order.subscriber_name" in fields and "order.subscriber_dob" in fields for fields in logged)

    # A viewer reads the order, not the PHI: a clear error on those fields, the rest answered.
    result = await tenant_a.raw(READ, {"id": order["id"]}, role="viewer")
    assert result["data"]["order"]["orderNumber"] == order["orderNumber"]
    assert result["data"]["order"]["subscriberName"] is None
    assert {e["extensions"]["code"] for e in result["errors"]} == {"FORBIDDEN"}
    assert {tuple(e["path"][-1:]) for e in result["errors"]} >= {("subscriberName",)}


async def test_the_patient_name_is_not_on_the_order(owner_engine):
    async with owner_engine.connect() as conn:
        columns = (
            (
                await conn.execute(
                    sa.text("SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'")
                )
            )
            .scalars()
            .all()
        )
    assert not [c for c in columns if "patient_name" in c or "recipient_name" in c]
