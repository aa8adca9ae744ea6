"""Products: manufacturers, the category tree, specialties, the catalog with its search,
and inventory whose every change is a stock movement.

The manifest (`MODULE`) and the module's public surface: other modules import only
from here (orders reserve, release and ship stock through the functions below, and
check what they reference against the tables it exports).
"""

from __future__ import annotations

from pathlib import Path

from modules.products.events import EVENTS
from modules.products.models import (
    inventory_levels,
    manufacturer_settings,
    manufacturers,
    metadata,
    product_sizes,
    products,
)
from modules.products.service.inventory import release_stock, reserve_stock, ship_stock
from modules.products.types.refs import ManufacturerRef, ProductRef, ProductSizeRef
from schema.module import Module, SchemaParts

PERMISSIONS = {
    "products.read": "Read manufacturers, categories, specialties and products",
    "products.manage": "Create, update and deactivate manufacturers, categories, specialties and products",
    "inventory.read": "Read inventory locations, stock levels and movements",
    "inventory.manage": "Create locations and levels; receive, adjust, reserve, release and ship stock",
}

_READ = {"products.read", "inventory.read"}
GRANTS = {
    "manager": set(PERMISSIONS),
    "provider": _READ,
    "sales_rep": _READ,
    "facility_manager": _READ,
    "viewer": _READ,
}


def _schema() -> SchemaParts:
    from modules.products.schema.catalog import CatalogMutation
    from modules.products.schema.inventory import InventoryMutation
    from modules.products.schema.manufacturers import ManufacturerMutation
    from modules.products.schema.query import ProductsQuery
    from modules.products.types.category import ProductCategory
    from modules.products.types.inventory import InventoryLevel, InventoryLocation, StockMovement
    from modules.products.types.manufacturer import Manufacturer, ManufacturerContact
    from modules.products.types.product import Product, ProductSize
    from modules.products.types.specialty import ProductSpecialty, Specialty

    return SchemaParts(
        queries=[ProductsQuery],
        mutations=[ManufacturerMutation, CatalogMutation, InventoryMutation],
        nodes=[
            Manufacturer,
            ManufacturerContact,
            ProductCategory,
            Specialty,
            ProductSpecialty,
            Product,
            ProductSize,
            InventoryLocation,
            InventoryLevel,
            StockMovement,
        ],
    )


MODULE = Module(
    name="products",
    metadata=metadata,
    permissions=PERMISSIONS,
    grants=GRANTS,
    events=EVENTS,
    migrations=Path(__file__).parent / "migrations",
    schema=_schema,
)

__all__ = [
    "MODULE",
    "ManufacturerRef",
    "ProductRef",
    "ProductSizeRef",
    "inventory_levels",
    "manufacturer_settings",
    "manufacturers",
    "product_sizes",
    "products",
    "release_stock",
    "reserve_stock",
    "ship_stock",
]
