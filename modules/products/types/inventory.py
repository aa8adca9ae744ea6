"""Inventory: where stock is kept, how much of each product, and every movement of it."""

from __future__ import annotations

import datetime as dt

import strawberry

from modules.products import models as m
from modules.products.types.enums import LocationType, MovementKind
from modules.products.types.listings import LEVELS, LOCATIONS, MOVEMENTS
from modules.products.types.refs import InventoryLevelRef, InventoryLocationRef, ProductRef, StockMovementRef
from modules.tenancy import FacilityRef, UserRef
from schema.entities import entity, to_one
from schema.listing import connection
from schema.relay import Connection, Node


@entity(m.inventory_locations, node="inventory.read", listing=LOCATIONS)
@strawberry.type(description="A warehouse, a consignment shelf at a facility, or a rep's trunk stock.")
class InventoryLocation(Node):
    name: str
    type: LocationType
    created_at: dt.datetime
    updated_at: dt.datetime
    deactivated_at: dt.datetime | None

    facility: FacilityRef | None = to_one(
        "facility_id", requires="tenancy.read", description="Needs tenancy.read."
    )
    levels: Connection[InventoryLevelRef] = connection(LEVELS, parent="location_id")


@entity(m.inventory_levels, node="inventory.read", listing=LEVELS)
@strawberry.type(description="One product's stock at one location; its movements say how it got there.")
class InventoryLevel(Node):
    on_hand: int
    allocated: int = strawberry.field(description="Reserved for orders, not yet shipped.")
    available: int = strawberry.field(description="On hand less allocated.")
    reorder_point: int
    reorder_quantity: int
    last_counted_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    deactivated_at: dt.datetime | None

    product: ProductRef | None = to_one(
        "product_id", requires="products.read", description="Needs products.read."
    )
    location: InventoryLocationRef | None = to_one("location_id")
    movements: Connection[StockMovementRef] = connection(MOVEMENTS, parent="level_id")


@entity(m.stock_movements, node="inventory.read", listing=MOVEMENTS)
@strawberry.type(description="One change to a level: never edited, never removed.")
class StockMovement(Node):
    kind: MovementKind
    on_hand_change: int
    allocated_change: int
    on_hand_after: int
    allocated_after: int
    reason: str | None
    reference: str | None
    created_at: dt.datetime

    level: InventoryLevelRef | None = to_one("level_id")
    product: ProductRef | None = to_one(
        "product_id", requires="products.read", description="Needs products.read."
    )
    location: InventoryLocationRef | None = to_one("location_id")
    actor: UserRef | None = to_one("actor_user_id", requires="users.read", description="Needs users.read.")
