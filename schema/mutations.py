"""The one wrapper every mutation goes through (cf. Saleor's BaseMutation).

It runs the service inside a savepoint of the request's transaction, so a
mutation that fails — by invalid input, a unique key already taken, or any
unexpected error — changes nothing, and turns input problems into the typed
errors of the payload. Unexpected errors propagate and are masked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from typing import Any, TypeVar

import sqlalchemy as sa
import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from app.auth.passwords import HashingBusy
from schema.errors import FieldProblem, InputInvalid

T = TypeVar("T")


INSUFFICIENT_PRIVILEGE = "42501"


def _constraint(exc: sa.exc.IntegrityError) -> str | None:
    cause = getattr(exc.orig, "__cause__", None)
    return getattr(cause, "constraint_name", None)


async def run_mutation(
    info: Info,
    work: Callable[[AsyncConnection], Awaitable[T]],
    unique: Mapping[str, str] | None = None,
) -> tuple[T | None, list[FieldProblem]]:
    """Run `work` in a savepoint; map invalid input and known unique keys to problems.

    `unique` maps a unique constraint's name to the input field it guards, so a
    duplicate becomes a DUPLICATE error on that field (both values are the
    caller's own tenant's: unique keys include the tenant).
    """
    try:
        async with info.context.uow.savepoint() as conn:
            return await work(conn), []
    except InputInvalid as exc:
        return None, exc.problems
    except HashingBusy:
        return None, [FieldProblem(None, "RATE_LIMITED", "The server is busy checking passwords; try again")]
    except sa.exc.IntegrityError as exc:
        field = (unique or {}).get(_constraint(exc) or "")
        if field is None:
            raise
        return None, [FieldProblem(field, "DUPLICATE", "This value is already in use")]
    except sa.exc.ProgrammingError as exc:
        # The row-level policies' WITH CHECK: the change would put a row outside what the
        # caller may see (another facility than their memberships, say). The caller's
        # mistake, with nothing of anyone else's in it.
        cause = getattr(exc.orig, "__cause__", None)
        refused_by_policy = "row-level security" in str(cause)
        if getattr(cause, "sqlstate", None) != INSUFFICIENT_PRIVILEGE or not refused_by_policy:
            raise  # a missing grant is our bug, not the caller's
        return None, [FieldProblem(None, "FORBIDDEN", "This change would reach beyond what you may see")]


def graphql_path(field: str | None) -> str | None:
    """Services may name fields as Python does; clients see GraphQL's camelCase."""
    if field is None:
        return None
    return ".".join(to_camel_case(part) for part in field.split("."))


def typed_errors(problems: list[FieldProblem], error_type: type[T], codes: type[Enum]) -> list[T]:
    """Problems as the module's error type; an unknown code name falls back to INVALID."""
    out = []
    for p in problems:
        code = codes.__members__.get(p.code) or codes.__members__["INVALID"]
        out.append(error_type(field=graphql_path(p.field), code=code, message=p.message))  # type: ignore[call-arg]
    return out


def provided(value: Any) -> bool:
    """True when an optional input field was given (strawberry.UNSET means absent)."""
    return value is not strawberry.UNSET


def given_fields(data: Any, names: list[str]) -> dict[str, Any]:
    """The input fields the client actually sent (for partial updates)."""
    return {name: getattr(data, name) for name in names if provided(getattr(data, name))}
