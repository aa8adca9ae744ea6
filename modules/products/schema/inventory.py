"""Inventory mutations: locations, levels, and the stock movements that change a level.
Thin: read the input, call the service through `mutate`, return a payload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.types import Info

from app.audit import Actor
from modules.products.errors import ProductsError, mutate
from modules.products.service import inventory as inv
from modules.products.types.enums import LocationType
from modules.products.types.inventory import InventoryLevel, InventoryLocation
from schema.mutations import input_values
from schema.permissions import requires
from schema.relay import decode_id

UNSET = strawberry.UNSET
MANAGE = "inventory.manage"  # each field gets its own extension: they keep state
LEVEL = {"level_id": "InventoryLevel"}


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


Work = Callable[[AsyncConnection, Actor], Awaitable[Any]]


async def _level(info: Info, work: Work) -> InventoryLevelPayload:
    return await mutate.respond(InventoryLevelPayload, info, work, inv.LEVEL_UNIQUE)


async def _by_quantity(
    info: Info, operation: Callable[..., Awaitable[Any]], data: StockQuantityInput
) -> InventoryLevelPayload:
    """receive, reserve, release, ship and return take the same input."""
    v = input_values(data, ids=LEVEL)
    return await _level(info, lambda c, a: operation(c, a, v["level_id"], v["quantity"], v.get("reference")))


@strawberry.type
class InventoryMutation:
    @strawberry.mutation(extensions=requires(MANAGE))
    async def create_inventory_location(
        self, info: Info, input: InventoryLocationInput
    ) -> InventoryLocationPayload:
        values = input_values(input, ids={"facility_id": "Facility"})
        return await mutate.respond(
            InventoryLocationPayload,
            info,
            lambda c, a: inv.create_location(c, a, values),
            inv.LOCATION_UNIQUE,
        )

    @strawberry.mutation(extensions=requires(MANAGE))
    async def update_inventory_location(
        self, info: Info, id: strawberry.ID, input: InventoryLocationInput
    ) -> InventoryLocationPayload:
        pk, values = decode_id(id, "InventoryLocation"), input_values(input, ids={"facility_id": "Facility"})
        return await mutate.respond(
            InventoryLocationPayload,
            info,
            lambda c, a: inv.update_location(c, a, pk, values),
            inv.LOCATION_UNIQUE,
        )

    @strawberry.mutation(
        extensions=requires(MANAGE),
        description="Refused while a level there holds stock; its empty levels go with it.",
    )
    async def deactivate_inventory_location(self, info: Info, id: strawberry.ID) -> InventoryLocationPayload:
        pk = decode_id(id, "InventoryLocation")
        return await mutate.respond(
            InventoryLocationPayload, info, lambda c, a: inv.deactivate_location(c, a, pk)
        )

    @strawberry.mutation(extensions=requires(MANAGE))
    async def create_inventory_level(self, info: Info, input: InventoryLevelInput) -> InventoryLevelPayload:
        values = input_values(input, ids={"product_id": "Product", "location_id": "InventoryLocation"})
        return await _level(info, lambda c, a: inv.create_level(c, a, values))

    @strawberry.mutation(extensions=requires(MANAGE))
    async def update_inventory_level(
        self, info: Info, id: strawberry.ID, input: InventoryLevelUpdateInput
    ) -> InventoryLevelPayload:
        pk, values = decode_id(id, "InventoryLevel"), input_values(input)
        return await _level(info, lambda c, a: inv.update_level(c, a, pk, values))

    @strawberry.mutation(extensions=requires(MANAGE), description="Refused while the level holds stock.")
    async def deactivate_inventory_level(self, info: Info, id: strawberry.ID) -> InventoryLevelPayload:
        pk = decode_id(id, "InventoryLevel")
        return await _level(info, lambda c, a: inv.deactivate_level(c, a, pk))

    @strawberry.mutation(extensions=requires(MANAGE), description="Stock arrived: on hand grows.")
    async def receive_stock(self, info: Info, input: StockQuantityInput) -> InventoryLevelPayload:
        return await _by_quantity(info, inv.receive_stock, input)

    @strawberry.mutation(
        extensions=requires(MANAGE), description="Correct on hand, up or down, with a reason."
    )
    async def adjust_stock(self, info: Info, input: AdjustStockInput) -> InventoryLevelPayload:
        v = input_values(input, ids=LEVEL)
        return await _level(
            info, lambda c, a: inv.adjust_stock(c, a, v["level_id"], v["change"], v["reason"])
        )

    @strawberry.mutation(
        extensions=requires(MANAGE), description="Record a physical count: on hand becomes what was counted."
    )
    async def count_stock(self, info: Info, input: CountStockInput) -> InventoryLevelPayload:
        v = input_values(input, ids=LEVEL)
        return await _level(
            info, lambda c, a: inv.count_stock(c, a, v["level_id"], v["counted"], v["reason"])
        )

    @strawberry.mutation(
        extensions=requires(MANAGE),
        description="Set stock aside for an order; refused beyond what is available.",
    )
    async def reserve_stock(self, info: Info, input: StockQuantityInput) -> InventoryLevelPayload:
        return await _by_quantity(info, inv.reserve_stock, input)

    @strawberry.mutation(extensions=requires(MANAGE), description="Give a reservation back.")
    async def release_stock(self, info: Info, input: StockQuantityInput) -> InventoryLevelPayload:
        return await _by_quantity(info, inv.release_stock, input)

    @strawberry.mutation(
        extensions=requires(MANAGE), description="Reserved stock leaves: on hand and allocated shrink."
    )
    async def ship_stock(self, info: Info, input: StockQuantityInput) -> InventoryLevelPayload:
        return await _by_quantity(info, inv.ship_stock, input)

    @strawberry.mutation(extensions=requires(MANAGE), description="Shipped stock comes back: on hand grows.")
    async def return_stock(self, info: Info, input: StockQuantityInput) -> InventoryLevelPayload:
        return await _by_quantity(info, inv.return_stock, input)
