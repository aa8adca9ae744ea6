"""Error codes of the products module, shown to clients in mutation payloads, and the
runner every products mutation goes through."""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.mutations import MutationRunner


@strawberry.enum(description="What was wrong with a products or inventory mutation's input.")
class ProductsErrorCode(Enum):
    REQUIRED = "required"
    INVALID = "invalid"
    TOO_LONG = "too_long"
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    INACTIVE = "inactive"
    FORBIDDEN = "forbidden"
    NEGATIVE = "negative"
    CYCLE = "cycle"
    INSUFFICIENT_STOCK = "insufficient_stock"
    IN_USE = "in_use"


@strawberry.type(description="A problem with one field of a products or inventory mutation's input.")
class ProductsError:
    field: str | None = strawberry.field(description="Input field path, e.g. `input.code`.")
    code: ProductsErrorCode
    message: str


mutate = MutationRunner(ProductsError, ProductsErrorCode)
