"""A failed background job, as an admin sees it."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from app.tables import failed_jobs
from modules.tenancy import UserRef
from schema.entities import entity, to_one
from schema.filtering import FieldMatch
from schema.listing import Listing
from schema.relay import Node


@strawberry.enum(description="Why a job was parked.")
class FailedJobReason(Enum):
    RETRIES_EXHAUSTED = "retries_exhausted"
    WORKER_DIED = "worker_died"


@strawberry.input
class FailedJobFilter:
    actors: list[str] | None = strawberry.field(default=None, description="e.g. orders.check_submission")
    reasons: list[FailedJobReason] | None = None


FAILED_JOBS = Listing(
    failed_jobs,
    {"failed_at": "failed_at"},
    FailedJobFilter,
    FieldMatch(actors="actor", reasons="reason"),
    fixed_order=("failed_at", True),
)


@entity(failed_jobs, node="jobs.read", listing=FAILED_JOBS)
@strawberry.type(description="A background job that will not run again unless retried.")
class FailedJob(Node):
    actor: str = strawberry.field(description="The job, `module.verb`.")
    queue: str
    message_id: strawberry.ID = strawberry.field(description="The broker's message ID.")
    reason: FailedJobReason
    error: str = strawberry.field(description="The error's type and where it was raised; never its message.")
    attempts: int = strawberry.field(description="Attempts made (retries after errors, plus one).")
    deliveries: int = strawberry.field(description="Deliveries of the last attempt (more: its workers died).")
    failed_at: dt.datetime
    retried_at: dt.datetime | None

    retried_by: UserRef | None = to_one("retried_by", requires="users.read", description="Needs users.read.")
