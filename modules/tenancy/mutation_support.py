"""What every tenancy mutation shares: running a service for the signed-in actor and
turning its outcome into a payload with typed errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.types import Info

from modules.tenancy.audit import Actor
from modules.tenancy.errors import TenancyError, TenancyErrorCode
from schema.mutations import run_mutation, typed_errors


async def mutate(
    info: Info,
    work: Callable[[AsyncConnection, Actor], Awaitable[Any]],
    make: Callable[[Any], Any],
    unique: Mapping[str, str] | None = None,
) -> tuple[Any, list[TenancyError]]:
    actor = await Actor.of(info.context)
    row, problems = await run_mutation(info, lambda conn: work(conn, actor), unique)
    errors = typed_errors(problems, TenancyError, TenancyErrorCode)
    return (make(row) if row is not None and not errors else None), errors
