"""Products queries: connections declared over the listings."""

from __future__ import annotations

import strawberry

from modules.products.types.category import ProductCategory
from modules.products.types.inventory import InventoryLevel, InventoryLocation, StockMovement
from modules.products.types.listings import (
    CATEGORIES,
    LEVELS,
    LOCATIONS,
    LOW_STOCK,
    MANUFACTURERS,
    MOVEMENTS,
    PRODUCTS,
    SPECIALTIES,
)
from modules.products.types.manufacturer import Manufacturer
from modules.products.types.product import Product
from modules.products.types.specialty import Specialty
from schema.listing import connection
from schema.relay import Connection


@strawberry.type
class ProductsQuery:
    manufacturers: Connection[Manufacturer] = connection(MANUFACTURERS, requires="products.read")
    product_categories: Connection[ProductCategory] = connection(
        CATEGORIES,
        requires="products.read",
        by={"parent_id": "ProductCategory"},
        description="Categories; `parentId` lists one category's children.",
    )
    specialties: Connection[Specialty] = connection(SPECIALTIES, requires="products.read")
    products: Connection[Product] = connection(
        PRODUCTS, requires="products.read", description="The catalog: search, filter and sort."
    )
    inventory_locations: Connection[InventoryLocation] = connection(LOCATIONS, requires="inventory.read")
    inventory_levels: Connection[InventoryLevel] = connection(LEVELS, requires="inventory.read")
    low_stock: Connection[InventoryLevel] = connection(
        LOW_STOCK,
        requires="inventory.read",
        description="Levels whose available quantity is at or below their reorder point.",
    )
    stock_movements: Connection[StockMovement] = connection(
        MOVEMENTS, requires="inventory.read", by={"level_id": "InventoryLevel"}
    )
