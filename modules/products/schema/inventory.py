"""Inventory mutations: locations, levels, and the stock movements that change a level.
Declared (`mutate.field`): each names its input, permission and service call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from modules.products.errors import ProductsError, mutate
from modules.products.service import inventory as inv
from modules.products.types.enums import LocationType
from modules.products.types.inventory import InventoryLevel, InventoryLocation

UNSET = strawberry.UNSET
MANAGE = "inventory.manage"
LEVEL = {"level_id": "InventoryLevel"}
FACILITY = {"facility_id": "Facility"}


@strawberry.input
class InventoryLocationInput:
    name: str | None = UNSET
    type: LocationType | None = UNSET
    facility_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="The facility a consignment shelf stands in."
    )


@strawberry.type
class InventoryLocationPayload:
    inventory_location: InventoryLocation | None
    errors: list[ProductsError]


@strawberry.input(description="A product stocked at a location; its quantities start at zero.")
class InventoryLevelInput:
    product_id: strawberry.ID | None = UNSET
    location_id: strawberry.ID | None = UNSET
    reorder_point: int | None = UNSET
    reorder_quantity: int | None = UNSET


@strawberry.input(description="A level's reorder settings; quantities change only through stock movements.")
class InventoryLevelUpdateInput:
    reorder_point: int | None = UNSET
    reorder_quantity: int | None = UNSET


@strawberry.type
class InventoryLevelPayload:
    inventory_level: InventoryLevel | None
    errors: list[ProductsError]


@strawberry.input
class StockQuantityInput:
    level_id: strawberry.ID
    quantity: int = strawberry.field(description="A positive whole number, at most 1,000,000.")
    reference: str | None = strawberry.field(
        default=None,
        description="Makes the movement happen once: a retry with the same reference changes nothing.",
    )


@strawberry.input
class AdjustStockInput:
    level_id: strawberry.ID
    change: int = strawberry.field(description="Added to on hand (negative to take away); not zero.")
    reason: str | None = None


@strawberry.input
class CountStockInput:
    level_id: strawberry.ID
    counted: int = strawberry.field(description="What the count found: on hand becomes this.")
    reason: str | None = None


def _by_quantity(operation: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """receive, reserve, release, ship and return take the same input."""
    return lambda c, a, v: operation(c, a, v["level_id"], v["quantity"], v.get("reference"))


def _level(work: Callable[..., Awaitable[Any]], description: str | None = None, **how: Any) -> Any:
    return mutate.field(
        work,
        payload=InventoryLevelPayload,
        requires=MANAGE,
        unique=inv.LEVEL_UNIQUE,
        description=description,
        **how,
    )


def _movement(work: Callable[..., Awaitable[Any]], input: type, description: str) -> Any:
    return _level(work, description, input=input, ids=LEVEL)


@strawberry.type
class InventoryMutation:
    create_inventory_location = mutate.field(
        inv.create_location,
        input=InventoryLocationInput,
        payload=InventoryLocationPayload,
        requires=MANAGE,
        ids=FACILITY,
        unique=inv.LOCATION_UNIQUE,
    )
    update_inventory_location = mutate.field(
        inv.update_location,
        id_of="InventoryLocation",
        input=InventoryLocationInput,
        payload=InventoryLocationPayload,
        requires=MANAGE,
        ids=FACILITY,
        unique=inv.LOCATION_UNIQUE,
    )
    deactivate_inventory_location = mutate.field(
        inv.deactivate_location,
        id_of="InventoryLocation",
        payload=InventoryLocationPayload,
        requires=MANAGE,
        description="Refused while a level there holds stock; its empty levels go with it.",
    )
    create_inventory_level = _level(
        inv.create_level,
        input=InventoryLevelInput,
        ids={"product_id": "Product", "location_id": "InventoryLocation"},
    )
    update_inventory_level = _level(inv.update_level, id_of="InventoryLevel", input=InventoryLevelUpdateInput)
    deactivate_inventory_level = _level(
        inv.deactivate_level, "Refused while the level holds stock.", id_of="InventoryLevel"
    )
    receive_stock = _movement(
        _by_quantity(inv.receive_stock), StockQuantityInput, "Stock arrived: on hand grows."
    )
    adjust_stock = _movement(
        lambda c, a, v: inv.adjust_stock(c, a, v["level_id"], v["change"], v["reason"]),
        AdjustStockInput,
        "Correct on hand, up or down, with a reason.",
    )
    count_stock = _movement(
        lambda c, a, v: inv.count_stock(c, a, v["level_id"], v["counted"], v["reason"]),
        CountStockInput,
        "Record a physical count: on hand becomes what was counted.",
    )
    reserve_stock = _movement(
        _by_quantity(inv.reserve_stock),
        StockQuantityInput,
        "Set stock aside for an order; refused beyond what is available.",
    )
    release_stock = _movement(_by_quantity(inv.release_stock), StockQuantityInput, "Give a reservation back.")
    ship_stock = _movement(
        _by_quantity(inv.ship_stock),
        StockQuantityInput,
        "Reserved stock leaves: on hand and allocated shrink.",
    )
    return_stock = _movement(
        _by_quantity(inv.return_stock), StockQuantityInput, "Shipped stock comes back: on hand grows."
    )
