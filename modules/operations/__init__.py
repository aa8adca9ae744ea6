"""Operations: what the platform's own machinery did that an admin may need to act on.
For now, background jobs parked as failed (`failed_jobs`, kept by app/job_runs.py): listed
with `failedJobs`, sent again with `retryFailedJob`.

It owns no table: `failed_jobs` is the kernel's, written by the workers.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.jobs import JOB_RETRIED
from schema.module import Module, SchemaParts

PERMISSIONS = {
    "jobs.read": "See background jobs that failed, with their error's kind (never PHI)",
    "jobs.retry": "Send a failed background job again",
}


def _schema() -> SchemaParts:
    from modules.operations.schema import OperationsMutation, OperationsQuery
    from modules.operations.types import FailedJob

    return SchemaParts(queries=[OperationsQuery], mutations=[OperationsMutation], nodes=[FailedJob])


MODULE = Module(
    name="operations",
    metadata=sa.MetaData(),
    permissions=PERMISSIONS,
    grants={},  # owners and admins hold every key
    events=(JOB_RETRIED,),
    schema=_schema,
)

__all__ = ["MODULE"]
