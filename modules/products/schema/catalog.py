"""Mutations of categories, specialties and products, declared (`mutate.field`): each
names its id and input, its service call and the unique keys it may hit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON

from modules.products.errors import ProductsError, mutate
from modules.products.service import categories, products
from modules.products.types.category import ProductCategory
from modules.products.types.enums import CategoryType, CodeType, ProductType
from modules.products.types.product import Product
from modules.products.types.specialty import ProductSpecialty, Specialty

UNSET = strawberry.UNSET


@strawberry.input
class ProductCategoryInput:
    name: str | None = UNSET
    parent_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="Move under this category (null: to the top)."
    )
    type: CategoryType | None = UNSET
    description: str | None = UNSET


@strawberry.input
class SpecialtyInput:
    code: str | None = UNSET
    name: str | None = UNSET
    restricted_access: bool | None = UNSET
    validation_rules: JSON | None = UNSET
    form_templates: JSON | None = UNSET
    workflow_overrides: JSON | None = UNSET


@strawberry.input(description="A size; the area is width × length unless given.")
class ProductSizeInput:
    label: str
    width_cm: Decimal | None = None
    length_cm: Decimal | None = None
    area_cm2: Decimal | None = None


@strawberry.input
class ProductInput:
    name: str | None = UNSET
    sku: str | None = UNSET
    manufacturer_id: strawberry.ID | None = UNSET
    category_id: strawberry.ID | None = UNSET
    code: str | None = UNSET
    code_type: CodeType | None = UNSET
    type: ProductType | None = UNSET
    description: str | None = UNSET
    specifications: JSON | None = UNSET
    pricing: JSON | None = UNSET
    national_asp: Decimal | None = UNSET
    price_per_cm2: Decimal | None = UNSET
    commission_rate: Decimal | None = UNSET
    graph_type: str | None = UNSET
    image_url: str | None = UNSET
    document_urls: list[str] | None = UNSET
    requires_prescription: bool | None = UNSET
    requires_verification: bool | None = UNSET
    is_active: bool | None = UNSET
    metadata: JSON | None = UNSET
    sizes: list[ProductSizeInput] | None = strawberry.field(
        default=UNSET, description="The sizes it comes in, replacing those it had (matched by label)."
    )


@strawberry.input
class ProductSpecialtyInput:
    product_id: strawberry.ID
    specialty_id: strawberry.ID
    is_primary: bool = False


@strawberry.type
class ProductCategoryPayload:
    product_category: ProductCategory | None
    errors: list[ProductsError]


@strawberry.type
class SpecialtyPayload:
    specialty: Specialty | None
    errors: list[ProductsError]


@strawberry.type
class ProductPayload:
    product: Product | None
    errors: list[ProductsError]


@strawberry.type
class ProductSpecialtyPayload:
    product_specialty: ProductSpecialty | None
    errors: list[ProductsError]


def _sized(work: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """A product's sizes are replaced as a list: null means none."""

    def call(conn: Any, actor: Any, *given: Any) -> Awaitable[Any]:
        values = given[-1]
        if "sizes" in values and values["sizes"] is None:
            values["sizes"] = []
        return work(conn, actor, *given)

    return call


def _manage(work: Callable[..., Awaitable[Any]], payload: type, **how: Any) -> Any:
    return mutate.field(work, payload=payload, requires="products.manage", **how)


PARENT = {"parent_id": "ProductCategory"}
PRODUCT_IDS = {"manufacturer_id": "Manufacturer", "category_id": "ProductCategory"}


@strawberry.type
class CatalogMutation:
    create_product_category = _manage(
        lambda c, a, v: categories.create_category(c, a, {"type": "supplies", **v}),
        ProductCategoryPayload,
        input=ProductCategoryInput,
        ids=PARENT,
        unique=categories.CATEGORY_UNIQUE,
    )
    update_product_category = _manage(
        categories.update_category,
        ProductCategoryPayload,
        id_of="ProductCategory",
        input=ProductCategoryInput,
        ids=PARENT,
        unique=categories.CATEGORY_UNIQUE,
        description="Rename, retype or move a category.",
    )
    deactivate_product_category = _manage(
        categories.deactivate_category, ProductCategoryPayload, id_of="ProductCategory"
    )
    create_specialty = _manage(
        categories.create_specialty,
        SpecialtyPayload,
        input=SpecialtyInput,
        unique=categories.SPECIALTY_UNIQUE,
    )
    update_specialty = _manage(
        categories.update_specialty,
        SpecialtyPayload,
        id_of="Specialty",
        input=SpecialtyInput,
        unique=categories.SPECIALTY_UNIQUE,
    )
    deactivate_specialty = _manage(categories.deactivate_specialty, SpecialtyPayload, id_of="Specialty")
    create_product = _manage(
        _sized(products.create_product),
        ProductPayload,
        input=ProductInput,
        ids=PRODUCT_IDS,
        unique=products.PRODUCT_UNIQUE,
    )
    update_product = _manage(
        _sized(products.update_product),
        ProductPayload,
        id_of="Product",
        input=ProductInput,
        ids=PRODUCT_IDS,
        unique=products.PRODUCT_UNIQUE,
    )
    deactivate_product = _manage(
        products.deactivate_product,
        ProductPayload,
        id_of="Product",
        description="Take a product off the catalog (soft delete).",
    )
    link_product_specialty = _manage(
        products.link_specialty,
        ProductSpecialtyPayload,
        input=ProductSpecialtyInput,
        ids={"product_id": "Product", "specialty_id": "Specialty"},
        unique=products.LINK_UNIQUE,
        description="File a product under a specialty.",
    )
    unlink_product_specialty = _manage(
        products.unlink_specialty, ProductSpecialtyPayload, id_of="ProductSpecialty"
    )
