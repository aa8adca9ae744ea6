"""Lazy references to the products types, for annotations across files (no import cycles)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

if TYPE_CHECKING:
    from modules.products.types.category import ProductCategory
    from modules.products.types.inventory import InventoryLevel, InventoryLocation, StockMovement
    from modules.products.types.manufacturer import Manufacturer, ManufacturerContact, ManufacturerSettings
    from modules.products.types.product import Product, ProductSize
    from modules.products.types.specialty import ProductSpecialty, Specialty

_TYPES = "modules.products.types"

ManufacturerRef = Annotated["Manufacturer", strawberry.lazy(f"{_TYPES}.manufacturer")]
ManufacturerSettingsRef = Annotated["ManufacturerSettings", strawberry.lazy(f"{_TYPES}.manufacturer")]
ManufacturerContactRef = Annotated["ManufacturerContact", strawberry.lazy(f"{_TYPES}.manufacturer")]
ProductCategoryRef = Annotated["ProductCategory", strawberry.lazy(f"{_TYPES}.category")]
ProductRef = Annotated["Product", strawberry.lazy(f"{_TYPES}.product")]
ProductSizeRef = Annotated["ProductSize", strawberry.lazy(f"{_TYPES}.product")]
SpecialtyRef = Annotated["Specialty", strawberry.lazy(f"{_TYPES}.specialty")]
ProductSpecialtyRef = Annotated["ProductSpecialty", strawberry.lazy(f"{_TYPES}.specialty")]
InventoryLocationRef = Annotated["InventoryLocation", strawberry.lazy(f"{_TYPES}.inventory")]
InventoryLevelRef = Annotated["InventoryLevel", strawberry.lazy(f"{_TYPES}.inventory")]
StockMovementRef = Annotated["StockMovement", strawberry.lazy(f"{_TYPES}.inventory")]
