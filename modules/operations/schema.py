"""Operations queries and mutations, declared."""

from __future__ import annotations

import strawberry

from modules.operations.errors import mutate
from modules.operations.service import retry_failed_job
from modules.operations.types import FAILED_JOBS, FailedJob
from schema.listing import connection
from schema.relay import Connection

FailedJobPayload = mutate.payload(FailedJob)


@strawberry.type
class OperationsQuery:
    failed_jobs: Connection[FailedJob] = connection(
        FAILED_JOBS,
        requires="jobs.read",
        description="Background jobs parked as failed, newest first. Needs jobs.read.",
    )


@strawberry.type
class OperationsMutation:
    retry_failed_job = mutate.field(
        retry_failed_job,
        id_of="FailedJob",
        payload=FailedJobPayload,
        requires="jobs.retry",
        description="Send a failed job again (once; a new failure is listed on its own). Needs jobs.retry.",
    )
