"""Retrying a failed job: marked retried here, sent by the outbox relay after commit
(`job.retried`, see app/relay.py), under a message ID of its own, as any job is sent."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.errors import raise_problem
from app.events import emit
from app.jobs import JOB_RETRIED
from app.tables import failed_jobs
from app.writes import lock_row


async def retry_failed_job(conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None) -> Any:
    job = None if pk is None else await lock_row(conn, failed_jobs, pk)
    if job is None:
        raise_problem("id", "NOT_FOUND", "No such failed job")
    if job.retried_at is not None:
        raise_problem("id", "RETRIED", "This job was retried already; a new failure is listed on its own")
    retried = (
        await conn.execute(
            sa.update(failed_jobs)
            .where(failed_jobs.c.id == job.id)
            .values(retried_at=sa.func.now(), retried_by=actor.user_id, retry_message_id=uuid.uuid4())
            .returning(*failed_jobs.c)
        )
    ).one()
    await emit(conn, actor, JOB_RETRIED, "FailedJob", job.id, {"failed_job_id": job.id})
    return retried
