"""Product categories: a tree (wound care → skin substitutes, dressings; DME; ...)."""

from __future__ import annotations

import datetime as dt

import strawberry

from modules.products import models as m
from modules.products.types.enums import CategoryType
from modules.products.types.listings import CATEGORIES, PRODUCTS
from modules.products.types.refs import ProductCategoryRef, ProductRef
from schema.entities import entity, to_one
from schema.listing import connection
from schema.relay import Connection, Node


@entity(m.product_categories, node="products.read", listing=CATEGORIES)
@strawberry.type
class ProductCategory(Node):
    name: str
    type: CategoryType
    description: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    deactivated_at: dt.datetime | None

    parent: ProductCategoryRef | None = to_one("parent_id")
    children: Connection[ProductCategoryRef] = connection(CATEGORIES, parent="parent_id")
    products: Connection[ProductRef] = connection(
        PRODUCTS,
        parent="category_id",
        description="Products filed directly under this category (`products(filter: {categoryId})` "
        "includes its subcategories).",
    )
