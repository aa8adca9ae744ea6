"""Failed jobs through GraphQL: an admin lists them and retries one, which a worker runs
(sent by the outbox relay after the commit that marked it retried); refused, changing
nothing, when retried twice, unknown, another tenant's, or without the permission."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from app.db import tenant_transaction
from schema.relay import from_global_id, to_global_id
from tests.jobs.intake_ops import park_intake_job
from tests.orders import orders_ops
from tests.orders.orders_ops import checked, draft

FAILED = """query($f: FailedJobFilter) { failedJobs(first: 10, filter: $f) { totalCount nodes {
  id actor queue reason error attempts deliveries failedAt retriedAt retriedBy { email } } } }"""
RETRY = """mutation($id: ID!) { retryFailedJob(id: $id) {
  failedJob { id retriedAt } errors { field code message } } }"""


async def _stuck_order(owner_engine: Any, tenant: Any) -> dict[str, Any]:
    """A submitted order whose check never ran (its job was parked), as the API sees it."""
    order = await draft(owner_engine, tenant)
    pk = from_global_id(order["id"])[1]
    async with tenant_transaction(owner_engine, str(tenant.id)) as conn:
        await conn.execute(
            sa.text("UPDATE orders SET status = 'submitted', version = version + 1 WHERE id = :id"),
            {"id": pk},
        )
    return order | {"status": "SUBMITTED"}


async def test_an_admin_lists_and_retries_a_failed_job(owner_engine, tenant_a, tenant_b, jobs_worker):
    orders_ops.WATCH["engine"] = owner_engine
    order = await _stuck_order(owner_engine, tenant_a)
    job = await park_intake_job(owner_engine, tenant_a, order)

    listed = (await tenant_a.query(FAILED, {"f": {"reasons": ["WORKER_DIED"]}}))["failedJobs"]
    assert listed["totalCount"] == 1
    (node,) = listed["nodes"]
    assert node["id"] == job and node["actor"] == "orders.check_submission" and node["retriedAt"] is None
    assert (node["reason"], node["deliveries"]) == ("WORKER_DIED", 4)
    none = await tenant_a.query(FAILED, {"f": {"reasons": ["RETRIES_EXHAUSTED"]}})
    assert none["failedJobs"]["totalCount"] == 0

    retried = (await tenant_a.query(RETRY, {"id": job}))["retryFailedJob"]
    assert retried["errors"] == [] and retried["failedJob"]["retriedAt"]
    after = await checked(tenant_a, order)  # the worker ran the job again: the order is checked
    assert after["status"] in ("PENDING_ADMIN_REVIEW", "NEEDS_ATTENTION")
    (node,) = (await tenant_a.query(FAILED))["failedJobs"]["nodes"]
    assert node["retriedAt"] and node["retriedBy"] == {"email": tenant_a.email("owner")}

    again = (await tenant_a.query(RETRY, {"id": job}))["retryFailedJob"]
    assert (again["failedJob"], [(e["field"], e["code"]) for e in again["errors"]]) == (
        None,
        [("id", "RETRIED")],
    )


async def test_failed_jobs_are_the_tenants_own_and_an_admins(owner_engine, tenant_a, tenant_b):
    job = await park_intake_job(owner_engine, tenant_a, await _stuck_order(owner_engine, tenant_a))
    assert (await tenant_b.query(FAILED))["failedJobs"]["totalCount"] == 0
    malformed = await tenant_a.raw(RETRY, {"id": "nope"})
    assert malformed["errors"][0]["extensions"]["code"] == "INVALID_ID"
    for who, id_ in ((tenant_b, job), (tenant_a, to_global_id("FailedJob", uuid.uuid4()))):
        refused = (await who.query(RETRY, {"id": id_}))["retryFailedJob"]
        assert (refused["failedJob"], [e["code"] for e in refused["errors"]]) == (None, ["NOT_FOUND"])
    for role in ("manager", "viewer"):
        listed = await tenant_a.raw(FAILED, role=role)
        assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        refused = await tenant_a.raw(RETRY, {"id": job}, role=role)  # a top-level error, as every mutation
        assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    (node,) = (await tenant_a.query(FAILED))["failedJobs"]["nodes"]
    assert node["retriedAt"] is None  # nothing changed
