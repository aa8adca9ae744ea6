"""Small helpers every tenancy service uses to find rows and report problems."""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from modules.tenancy.audit import Actor, lock_row, update_row
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


async def soft_delete(
    conn: AsyncConnection, actor: Actor, table: sa.Table, entity_type: str, pk: uuid.UUID | None, what: str
) -> tuple[Any, bool]:
    """Deactivate a row (status 'inactive' where the table has one); audited once.

    Returns the row and whether it changed: deactivating twice is not an error.
    """
    before = await existing_row(conn, table, pk, what)
    if before.deactivated_at is not None:
        return before, False
    values: dict[str, Any] = {"deactivated_at": sa.func.now()}
    if "status" in table.c:
        values["status"] = "inactive"
    return await update_row(conn, actor, table, entity_type, before, values, "deactivate"), True
