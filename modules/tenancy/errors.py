"""Error codes of the tenancy module, shown to clients in mutation payloads, and the
runner every tenancy mutation goes through."""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.mutations import MutationRunner


@strawberry.enum(description="What was wrong with a tenancy mutation's input.")
class TenancyErrorCode(Enum):
    REQUIRED = "required"
    INVALID = "invalid"
    TOO_LONG = "too_long"
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    INACTIVE = "inactive"
    NEGATIVE = "negative"  # the kernel's number checks (app/validators.Check.decimal) name it
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_TOKEN = "invalid_token"
    FORBIDDEN = "forbidden"
    RATE_LIMITED = "rate_limited"


@strawberry.type(description="A problem with one field of a tenancy mutation's input.")
class TenancyError:
    field: str | None = strawberry.field(description="Input field path, e.g. `input.email`.")
    code: TenancyErrorCode
    message: str


mutate = MutationRunner(TenancyError, TenancyErrorCode)
