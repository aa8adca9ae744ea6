"""Error codes of the operations module, and the runner its mutations go through."""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.mutations import MutationRunner


@strawberry.enum(description="What was wrong with an operations mutation's input.")
class OperationsErrorCode(Enum):
    REQUIRED = "required"
    INVALID = "invalid"
    TOO_LONG = "too_long"
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    INACTIVE = "inactive"
    FORBIDDEN = "forbidden"
    NEGATIVE = "negative"
    RETRIED = "retried"


@strawberry.type(description="A problem with one field of an operations mutation's input.")
class OperationsError:
    field: str | None = strawberry.field(description="Input field path, e.g. `id`.")
    code: OperationsErrorCode
    message: str


mutate = MutationRunner(OperationsError, OperationsErrorCode)
