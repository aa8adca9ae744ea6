"""Small helpers every tenancy service uses to find rows and report problems."""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from modules.tenancy.audit import lock_row
from schema.errors import FieldProblem, InputInvalid


async def existing_row(conn: AsyncConnection, table: sa.Table, pk: uuid.UUID | None, what: str) -> Any:
    """The row to change, or NOT_FOUND (also for rows of another tenant: RLS hides them)."""
    row = await lock_row(conn, table, pk) if pk else None
    if row is None:
        raise_not_found("id", what)
    return row


def raise_problem(field: str, code: str, message: str) -> NoReturn:
    path = "id" if field == "id" else f"input.{field}"
    raise InputInvalid([FieldProblem(path, code, message)])


def raise_not_found(field: str, what: str) -> NoReturn:
    raise_problem(field, "NOT_FOUND", f"No {what} with this ID")
