"""Writes the PHI access rows a request earned: one per patient, naming the fields."""

from __future__ import annotations

import sqlalchemy as sa

from app.audit import client_ip
from app.context import RequestContext
from app.tables import phi_access_log

DEFAULT_REASON = "not stated"


async def flush_phi_access(ctx: RequestContext) -> None:
    """Called by the request lifecycle before commit, in the same transaction as the reads."""
    principal = ctx.current
    if principal is None or not ctx.phi.fields_by_patient:
        return
    reason = (ctx.access_reason or DEFAULT_REASON)[:255]
    rows = [
        {
            "tenant_id": principal.tenant_id,
            "user_id": principal.user_id,
            "patient_id": patient_id,
            "fields": sorted(fields),
            "action": "view",
            "reason": reason,
            "operation_name": (ctx.operation_name or None),
            "operation_hash": ctx.operation_hash,
            "request_id": ctx.request_id,
            "ip_address": client_ip(ctx.client_ip),
        }
        for patient_id, fields in ctx.phi.fields_by_patient.items()
    ]
    async with ctx.uow.use() as conn:
        await conn.execute(sa.insert(phi_access_log), rows)
    ctx.phi.fields_by_patient.clear()  # only once written: a failed write may be retried
