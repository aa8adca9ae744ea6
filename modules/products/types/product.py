"""Products: what a provider can order, under which billing code, at which price."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from modules.products import models as m
from modules.products.types.enums import CodeType, ProductType
from modules.products.types.listings import LEVELS, PRODUCT_SPECIALTIES, PRODUCTS, SIZES
from modules.products.types.refs import (
    InventoryLevelRef,
    ManufacturerRef,
    ProductCategoryRef,
    ProductSizeRef,
    ProductSpecialtyRef,
)
from schema.entities import entity, to_one
from schema.listing import connection
from schema.relay import Connection, Node


@entity(m.products, node="products.read", listing=PRODUCTS)
@strawberry.type
class Product(Node):
    name: str
    sku: str
    code: str | None = strawberry.field(description="The billing code (HCPCS, NDC, UPN or custom).")
    code_type: CodeType | None
    type: ProductType
    description: str | None
    specifications: JSON
    pricing: JSON = strawberry.field(description="Pricing rules.")
    national_asp: Decimal | None = strawberry.field(description="National average selling price.")
    price_per_cm2: Decimal | None
    commission_rate: Decimal | None = strawberry.field(description="Percent.")
    graph_type: str | None
    image_url: str | None
    document_urls: list[str]
    requires_prescription: bool
    requires_verification: bool
    is_active: bool
    metadata: JSON
    created_at: dt.datetime
    updated_at: dt.datetime
    deactivated_at: dt.datetime | None

    manufacturer: ManufacturerRef | None = to_one("manufacturer_id")
    category: ProductCategoryRef | None = to_one("category_id")
    sizes: Connection[ProductSizeRef] = connection(SIZES, parent="product_id", backward=False)
    specialties: Connection[ProductSpecialtyRef] = connection(PRODUCT_SPECIALTIES, parent="product_id")
    inventory_levels: Connection[InventoryLevelRef] = connection(
        LEVELS,
        parent="product_id",
        requires="inventory.read",
        description="Stock per location (needs inventory.read).",
    )


@entity(m.product_sizes, node="products.read", listing=SIZES)
@strawberry.type(description="A size a product comes in; sized products give their area.")
class ProductSize(Node):
    label: str
    width_cm: Decimal | None
    length_cm: Decimal | None
    area_cm2: Decimal | None
    position: int
