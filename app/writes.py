"""Row writes every module's services use: each change lands with its audit row.

Services run on a connection already inside the request's transaction (a savepoint
of it), raise `InputInvalid` for bad input and never commit. A row of another
tenant, or one the caller's memberships hide, is invisible here as everywhere
(row-level security), so it reads as "not found".
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor, write_audit, write_audits
from app.errors import raise_not_found, raise_problem
from app.tables import readable


async def insert_row(
    conn: AsyncConnection, actor: Actor, table: sa.Table, entity_type: str, values: dict[str, Any]
) -> Any:
    row = (
        await conn.execute(
            sa.insert(table).values(tenant_id=actor.tenant_id, **values).returning(*readable(table))
        )
    ).one()
    await write_audit(conn, actor, f"{entity_type.lower()}.create", entity_type, row.id, None, row)
    return row


async def lock_row(
    conn: AsyncConnection, table: sa.Table, pk: uuid.UUID, *, shared: bool = False
) -> Any | None:
    """The current row, locked for update (or `shared`: only against changes); None when
    missing or not visible."""
    stmt = sa.select(*readable(table)).where(table.c.id == pk).with_for_update(read=shared)
    return (await conn.execute(stmt)).first()


async def lock_rows(conn: AsyncConnection, table: sa.Table, pks: Sequence[uuid.UUID]) -> list[Any]:
    """The current rows of `pks` that exist and are visible, locked for update. Locked in
    key order, so two batches that share rows wait on each other, never deadlock."""
    stmt = sa.select(*readable(table)).where(table.c.id.in_(pks)).order_by(table.c.id).with_for_update()
    return list((await conn.execute(stmt)).all())


async def update_row(
    conn: AsyncConnection,
    actor: Actor,
    table: sa.Table,
    entity_type: str,
    before: Any,
    values: dict[str, Any],
    action: str = "update",
) -> Any:
    (row,) = await update_rows(conn, actor, table, entity_type, [before], values, action=action)
    return row


async def update_rows(
    conn: AsyncConnection,
    actor: Actor,
    table: sa.Table,
    entity_type: str,
    befores: Sequence[Any],
    values: dict[str, Any],
    each: Sequence[dict[str, Any]] | None = None,
    action: str = "update",
) -> list[Any]:
    """Change many rows (read and locked as `befores`) in one statement, each audited:
    `values` for every row (SQL expressions allowed), and `each` row its own values
    besides (one dict per row, the same keys in each). Answers the rows as they are now,
    in the order of `befores`."""
    if not befores:
        return []
    values = dict(values)
    if "updated_at" in table.c:
        values["updated_at"] = sa.func.now()
    own = _varying(each or [{} for _ in befores], values)
    stmt = sa.update(table)
    if own:
        keys = sorted(own[0])
        rows = sa.values(
            sa.column("id", table.c.id.type), *(sa.column(k, table.c[k].type) for k in keys), name="each_row"
        ).data([(before.id, *(row[k] for k in keys)) for before, row in zip(befores, own, strict=True)])
        stmt = stmt.where(table.c.id == rows.c.id).values({**values, **{k: rows.c[k] for k in keys}})
    else:
        stmt = stmt.where(table.c.id.in_([before.id for before in befores])).values(**values)
    changed = {row.id: row for row in await conn.execute(stmt.returning(*readable(table)))}
    afters = [changed[before.id] for before in befores]
    pairs = [(after.id, before, after) for before, after in zip(befores, afters, strict=True)]
    await write_audits(conn, actor, f"{entity_type.lower()}.{action}", entity_type, pairs)
    return afters


def _varying(each: Sequence[dict[str, Any]], shared: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-row values that differ between rows; a key every row gives the same value
    joins `shared` (one row's values are all shared: a plain UPDATE ... WHERE id)."""
    keys = set(each[0])
    if any(set(row) != keys for row in each):
        raise ValueError("each row gives values for the same columns")
    same = {k for k in keys if all(row[k] == each[0][k] for row in each)}
    shared.update({k: each[0][k] for k in same})
    return [{k: v for k, v in row.items() if k not in same} for row in each] if keys - same else []


async def existing_row(conn: AsyncConnection, table: sa.Table, pk: uuid.UUID | None, what: str) -> Any:
    """The row to change, locked, or NOT_FOUND on `id` (also for rows of another tenant)."""
    row = await lock_row(conn, table, pk) if pk else None
    if row is None:
        raise_not_found("id", what)
    return row


async def active_row(
    conn: AsyncConnection,
    table: sa.Table,
    pk: uuid.UUID | None,
    field: str,
    what: str,
    *,
    shared: bool = False,
) -> Any:
    """A row the change points at (by input `field`), locked so it stays until commit:
    NOT_FOUND when missing or not visible, INACTIVE when deactivated."""
    row = await lock_row(conn, table, pk, shared=shared) if pk else None
    if row is None:
        raise_not_found(field, what)
    if row.deactivated_at is not None:
        raise_problem(field, "INACTIVE", f"The {what} is deactivated")
    return row


async def delete_row(
    conn: AsyncConnection,
    actor: Actor,
    table: sa.Table,
    entity_type: str,
    before: Any,
    action: str = "delete",
) -> Any:
    """Delete a row (read and locked as `before`), with its audit row; returns `before`."""
    await conn.execute(sa.delete(table).where(table.c.id == before.id))
    await write_audit(conn, actor, f"{entity_type.lower()}.{action}", entity_type, before.id, before, None)
    return before


async def soft_delete(
    conn: AsyncConnection, actor: Actor, table: sa.Table, entity_type: str, pk: uuid.UUID | None, what: str
) -> tuple[Any, bool]:
    """Deactivate a row (status 'inactive' where the table has one); audited once.

    Returns the row and whether it changed: deactivating twice is not an error.
    """
    before = await existing_row(conn, table, pk, what)
    if before.deactivated_at is not None:
        return before, False
    return await deactivate_row(conn, actor, table, entity_type, before), True


async def deactivate_row(
    conn: AsyncConnection, actor: Actor, table: sa.Table, entity_type: str, before: Any, **also: Any
) -> Any:
    """Deactivate a row already read and locked (`before`), status 'inactive' where the
    table has one, with `also` changed alongside; audited as one change."""
    values: dict[str, Any] = {"deactivated_at": sa.func.now(), **also}
    if "status" in table.c:
        values["status"] = "inactive"
    return await update_row(conn, actor, table, entity_type, before, values, "deactivate")
