"""Inventory: locations, levels, and the stock movements every change of a level is made of.

Every change of a level's quantities goes through `_move`: one conditional UPDATE that
applies the change only if the level stays whole (nothing negative, never more allocated
than on hand), then the movement, the audit row and the events. Under READ COMMITTED a
concurrent UPDATE of the same level makes PostgreSQL re-check the condition against the
row as the other transaction left it, so concurrent reservations never oversell; the
table's CHECK (`inventory_levels_quantities`) would refuse it even if this code were wrong.
"""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor, write_audit
from app.errors import Problems, raise_not_found, raise_problem
from app.events import emit
from app.tables import readable
from app.validators import Check
from app.writes import active_row, deactivate_row, existing_row, insert_row, update_row
from modules.products import models as m
from modules.products.events import STOCK_CHANGED, STOCK_LOW

LOCATION_UNIQUE = {"inventory_locations_tenant_id_name_key": "input.name"}
LEVEL_UNIQUE = {"inventory_levels_tenant_id_product_id_location_id_key": "input.productId"}
LOCATION_TYPES = ("warehouse", "consignment", "trunk_stock")
MAX_QUANTITY = 1_000_000  # one movement; a bigger one is a typo, not a delivery
MAX_ON_HAND = 1_000_000_000  # below int4's limit, so a sum never overflows into an unexpected error
REFERENCE_INDEX = "stock_movements_reference"

_levels = m.inventory_levels
_locations = m.inventory_locations
Pk = uuid.UUID | None  # None (or an ID of another type) finds nothing: NOT_FOUND
Ref = str | None


# Locations ------------------------------------------------------------------------------


def _check_location(values: dict[str, Any], creating: bool) -> None:
    problems = Problems()
    check = Check(problems)
    check.present(values, ("name", "type"), ("name",), creating)
    check.text("name", values.get("name"))
    if values.get("type") is not None and values["type"] not in LOCATION_TYPES:
        problems.add("input.type", "INVALID", f"One of {', '.join(LOCATION_TYPES)}")
    problems.raise_if_any()


async def _location_values(conn: AsyncConnection, values: dict[str, Any]) -> dict[str, Any]:
    """The columns to write. A facility belongs to tenancy, so it is checked through SQL, not
    its table: row-level security hides another tenant's, which then reads as absent."""
    keep: dict[str, Any] = {k: values[k] for k in ("name", "type", "facility_id") if k in values}
    if keep.get("name") is not None:
        keep["name"] = keep["name"].strip()
    if keep.get("facility_id") is not None:
        facility = (
            await conn.execute(
                sa.text("SELECT deactivated_at FROM facilities WHERE id = :id"), {"id": keep["facility_id"]}
            )
        ).first()
        if facility is None:
            raise_not_found("facilityId", "facility")
        if facility.deactivated_at is not None:
            raise_problem("facilityId", "INACTIVE", "The facility is deactivated")
    return keep


async def create_location(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    _check_location(values, creating=True)
    return await insert_row(
        conn, actor, _locations, "InventoryLocation", await _location_values(conn, values)
    )


async def update_location(conn: AsyncConnection, actor: Actor, pk: Pk, values: dict[str, Any]) -> Any:
    _check_location(values, creating=False)
    before = await existing_row(conn, _locations, pk, "inventory location")
    return await update_row(
        conn, actor, _locations, "InventoryLocation", before, await _location_values(conn, values)
    )


async def deactivate_location(conn: AsyncConnection, actor: Actor, pk: Pk) -> Any:
    """Refused while any level there holds stock; its empty levels are deactivated with it,
    so no stock moves into a location that is gone. The levels are locked before they are
    checked: a receipt racing this waits, then finds its level deactivated."""
    before = await existing_row(conn, _locations, pk, "inventory location")
    if before.deactivated_at is not None:
        return before
    here = (_levels.c.location_id == before.id, _levels.c.deactivated_at.is_(None))
    levels = (await conn.execute(sa.select(*readable(_levels)).where(*here).with_for_update())).all()
    stocked = [level for level in levels if level.on_hand > 0 or level.allocated > 0]
    if stocked:
        raise_problem("id", "IN_USE", f"{len(stocked)} stock level(s) here still hold stock")
    for level in levels:
        await deactivate_row(conn, actor, _levels, "InventoryLevel", level)
    return await deactivate_row(conn, actor, _locations, "InventoryLocation", before)


# Levels ---------------------------------------------------------------------------------


def _check_reorder(values: dict[str, Any], creating: bool) -> None:
    problems = Problems()
    required = ("product_id", "location_id") if creating else ()
    Check(problems).present(values, ("reorder_point", "reorder_quantity", *required), required, creating)
    for name in ("reorder_point", "reorder_quantity"):
        value = values.get(name)
        if value is None:
            continue
        field = f"input.{name}"  # the mutation runner shows it as camelCase
        if value < 0:
            problems.add(field, "NEGATIVE", "Must not be negative")
        elif value > MAX_QUANTITY:
            problems.add(field, "INVALID", f"At most {MAX_QUANTITY:,}")
    problems.raise_if_any()


async def create_level(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    _check_reorder(values, creating=True)
    # Locked for share: neither can be deactivated before this level commits.
    await active_row(conn, m.products, values["product_id"], "productId", "product", shared=True)
    await active_row(conn, _locations, values["location_id"], "locationId", "inventory location", shared=True)
    keep = ("product_id", "location_id", "reorder_point", "reorder_quantity")
    return await insert_row(
        conn, actor, _levels, "InventoryLevel", {k: values[k] for k in keep if k in values}
    )


async def update_level(conn: AsyncConnection, actor: Actor, pk: Pk, values: dict[str, Any]) -> Any:
    """Only the reorder settings: quantities change through movements alone."""
    values = {k: values[k] for k in ("reorder_point", "reorder_quantity") if k in values}
    _check_reorder(values, creating=False)
    before = await existing_row(conn, _levels, pk, "inventory level")
    return await update_row(conn, actor, _levels, "InventoryLevel", before, values)


async def deactivate_level(conn: AsyncConnection, actor: Actor, pk: Pk) -> Any:
    before = await existing_row(conn, _levels, pk, "inventory level")
    if before.deactivated_at is not None:
        return before
    if before.on_hand > 0 or before.allocated > 0:
        held = f"{before.on_hand} on hand, {before.allocated} allocated"
        raise_problem("id", "IN_USE", f"The level still holds {held}")
    return await deactivate_row(conn, actor, _levels, "InventoryLevel", before)


# Movements ------------------------------------------------------------------------------


def _constraint(exc: sa.exc.IntegrityError) -> str | None:
    return getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)


async def _level(conn: AsyncConnection, level_id: uuid.UUID) -> Any:
    return (await conn.execute(sa.select(*readable(_levels)).where(_levels.c.id == level_id))).first()


def _shortfall(kind: str, row: Any) -> str:
    if kind in ("release", "shipment"):
        return f"Only {row.allocated} allocated"
    return f"Only {row.available} available"


async def _refused(
    conn: AsyncConnection, level_id: uuid.UUID, kind: str, on_hand_change: int, field: str
) -> NoReturn:
    """Why the conditional UPDATE matched no row."""
    row = await _level(conn, level_id)
    if row is None:
        raise_not_found("levelId", "inventory level")
    if row.deactivated_at is not None:
        raise_problem("levelId", "INACTIVE", "The inventory level is deactivated")
    if row.on_hand + on_hand_change > MAX_ON_HAND:
        raise_problem(field, "INVALID", f"A level holds at most {MAX_ON_HAND:,}")
    raise_problem(field, "INSUFFICIENT_STOCK", _shortfall(kind, row))


async def _move(
    conn: AsyncConnection,
    actor: Actor,
    level_id: Pk,
    kind: str,
    on_hand_change: int,
    allocated_change: int,
    *,
    field: str = "quantity",
    reason: str | None = None,
    reference: str | None = None,
    counted: bool = False,
) -> Any:
    """The one way a level's quantities change. Returns the level as it is afterwards.

    A movement with a reference happens once per (level, kind, reference): a retry gets the
    level back unchanged, whether it finds the first movement here or collides with it in
    the unique index (a concurrent retry), whose savepoint then undoes this one's UPDATE.
    """
    if level_id is None:
        raise_not_found("levelId", "inventory level")
    mv = m.stock_movements
    seen = sa.select(mv.c.id).where(mv.c.level_id == level_id, mv.c.kind == kind, mv.c.reference == reference)
    if reference is not None and await conn.scalar(seen) is not None:
        return await _level(conn, level_id)
    on_hand, allocated = _levels.c.on_hand + on_hand_change, _levels.c.allocated + allocated_change
    changes: dict[str, Any] = {"on_hand": on_hand, "allocated": allocated, "updated_at": sa.func.now()}
    if counted:
        changes["last_counted_at"] = sa.func.now()
    update = (
        sa.update(_levels)
        .where(
            _levels.c.id == level_id,
            _levels.c.deactivated_at.is_(None),
            on_hand >= 0,
            allocated >= 0,
            allocated <= on_hand,
            _levels.c.on_hand <= MAX_ON_HAND - on_hand_change,  # written so it cannot overflow
        )
        .values(changes)
        .returning(*readable(_levels))
    )
    try:
        async with conn.begin_nested():
            after = (await conn.execute(update)).first()
            if after is None:
                await _refused(conn, level_id, kind, on_hand_change, field)
            movement = {"tenant_id": actor.tenant_id, "level_id": level_id, "kind": kind, "reason": reason}
            movement |= {"product_id": after.product_id, "location_id": after.location_id}
            movement |= {"on_hand_change": on_hand_change, "allocated_change": allocated_change}
            movement |= {"on_hand_after": after.on_hand, "allocated_after": after.allocated}
            movement |= {"reference": reference, "actor_user_id": actor.user_id}
            movement_id = await conn.scalar(sa.insert(mv).values(movement).returning(mv.c.id))
    except sa.exc.IntegrityError as exc:
        if reference is None or _constraint(exc) != REFERENCE_INDEX:
            raise
        return await _level(conn, level_id)
    numbers = ("on_hand", "allocated", "available")
    now = {k: getattr(after, k) for k in numbers}
    was = {"on_hand": after.on_hand - on_hand_change, "allocated": after.allocated - allocated_change}
    was["available"] = was["on_hand"] - was["allocated"]
    action = "stock.count" if counted else f"stock.{kind}"
    trail = {"before": was, "after": now, "movement_id": str(movement_id), "reason": reason}
    await write_audit(conn, actor, action, "InventoryLevel", level_id, extra=trail | {"reference": reference})
    payload = {"product_id": after.product_id, "location_id": after.location_id, "kind": kind, **now}
    await emit(conn, actor, STOCK_CHANGED, "InventoryLevel", level_id, payload)
    if was["available"] > after.reorder_point >= after.available:  # crossed, not merely low
        await emit(conn, actor, STOCK_LOW, "InventoryLevel", level_id, payload)
    return after


def _quantity(value: Any, field: str = "quantity", *, signed: bool = False) -> None:
    """A movement's quantity: a whole number, not zero, positive unless `signed`, bounded."""
    if value is None:
        raise_problem(field, "REQUIRED", "This field is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise_problem(field, "INVALID", "A whole number is expected")
    if not signed and value < 0:
        raise_problem(field, "NEGATIVE", "Must be a positive whole number")
    if value == 0:
        raise_problem(field, "INVALID", "Must not be zero")
    if abs(value) > MAX_QUANTITY:
        raise_problem(field, "INVALID", f"At most {MAX_QUANTITY:,} in one movement")


def _words(reason: str | None, reference: str | None, *, reason_required: bool = False) -> None:
    problems = Problems()
    check = Check(problems)
    check.text("reason", reason, required=reason_required, max_len=500)
    check.text("reference", reference, max_len=200)
    problems.raise_if_any()


async def _by_quantity(
    conn: AsyncConnection, actor: Actor, kind: str, level_id: Pk, quantity: int, reference: str | None
) -> Any:
    _quantity(quantity)
    _words(None, reference)
    on_hand, allocated = _EFFECTS[kind]
    return await _move(
        conn, actor, level_id, kind, on_hand * quantity, allocated * quantity, reference=reference
    )


# What a movement of each kind does to (on hand, allocated), per unit.
_EFFECTS = {
    "receipt": (1, 0),
    "reservation": (0, 1),
    "release": (0, -1),
    "shipment": (-1, -1),
    "return": (1, 0),
}


async def receive_stock(
    conn: AsyncConnection, actor: Actor, level_id: Pk, quantity: int, reference: Ref = None
) -> Any:
    """Stock arrived: on hand grows."""
    return await _by_quantity(conn, actor, "receipt", level_id, quantity, reference)


async def reserve_stock(
    conn: AsyncConnection, actor: Actor, level_id: Pk, quantity: int, reference: Ref = None
) -> Any:
    """Set stock aside for an order: allocated grows, only as far as stock is available."""
    return await _by_quantity(conn, actor, "reservation", level_id, quantity, reference)


async def release_stock(
    conn: AsyncConnection, actor: Actor, level_id: Pk, quantity: int, reference: Ref = None
) -> Any:
    """Give a reservation back: allocated shrinks."""
    return await _by_quantity(conn, actor, "release", level_id, quantity, reference)


async def ship_stock(
    conn: AsyncConnection, actor: Actor, level_id: Pk, quantity: int, reference: Ref = None
) -> Any:
    """Reserved stock leaves: on hand and allocated both shrink."""
    return await _by_quantity(conn, actor, "shipment", level_id, quantity, reference)


async def return_stock(
    conn: AsyncConnection, actor: Actor, level_id: Pk, quantity: int, reference: Ref = None
) -> Any:
    """Shipped stock comes back: on hand grows."""
    return await _by_quantity(conn, actor, "return", level_id, quantity, reference)


async def adjust_stock(
    conn: AsyncConnection, actor: Actor, level_id: Pk, change: int, reason: str | None
) -> Any:
    """A correction of on hand (damage, loss, a box found), up or down, always with its reason."""
    _quantity(change, "change", signed=True)
    _words(reason, None, reason_required=True)
    return await _move(conn, actor, level_id, "adjustment", change, 0, field="change", reason=reason)


async def count_stock(
    conn: AsyncConnection, actor: Actor, level_id: Pk, counted: int, reason: str | None
) -> Any:
    """A physical count: on hand becomes `counted`, recorded as an adjustment by the
    difference (zero too, so the ledger shows every count) and dated in `last_counted_at`.
    The level is locked while the difference is taken, so no movement slips in between."""
    if counted is None or counted < 0 or counted > MAX_ON_HAND:
        code = "REQUIRED" if counted is None else "NEGATIVE" if counted < 0 else "INVALID"
        raise_problem("counted", code, f"A whole number from 0 to {MAX_ON_HAND:,}")
    _words(reason, None)
    lock = sa.select(*readable(_levels)).where(_levels.c.id == level_id).with_for_update()
    level = (await conn.execute(lock)).first() if level_id is not None else None
    if level is None:
        raise_not_found("levelId", "inventory level")
    if level.deactivated_at is None and counted < level.allocated:
        raise_problem(
            "counted", "INSUFFICIENT_STOCK", f"{level.allocated} allocated: release them to count fewer"
        )
    difference = counted - level.on_hand
    return await _move(
        conn, actor, level_id, "adjustment", difference, 0, field="counted", reason=reason, counted=True
    )
