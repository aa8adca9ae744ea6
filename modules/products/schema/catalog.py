"""Mutations of categories, specialties and products. Thin: read the input, call the
service through `mutate`, return a payload."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from modules.products.errors import ProductsError, mutate
from modules.products.service import categories, products
from modules.products.types.category import ProductCategory
from modules.products.types.enums import CategoryType, CodeType, ProductType
from modules.products.types.product import Product
from modules.products.types.specialty import ProductSpecialty, Specialty
from schema.mutations import input_values
from schema.permissions import requires
from schema.relay import decode_id

UNSET = strawberry.UNSET
MANAGE = requires("products.manage")


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


def _product_values(data: ProductInput) -> dict[str, Any]:
    values = input_values(
        data, ids={"manufacturer_id": "Manufacturer", "category_id": "ProductCategory"}, omit=("sizes",)
    )
    if data.sizes is not UNSET:
        values["sizes"] = [vars(size) for size in data.sizes or []]
    return values


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(extensions=MANAGE)
    async def create_product_category(
        self, info: Info, input: ProductCategoryInput
    ) -> ProductCategoryPayload:
        values = {"type": "supplies", **input_values(input, ids={"parent_id": "ProductCategory"})}
        return await mutate.respond(
            ProductCategoryPayload,
            info,
            lambda c, a: categories.create_category(c, a, values),
            categories.CATEGORY_UNIQUE,
        )

    @strawberry.mutation(extensions=MANAGE, description="Rename, retype or move a category.")
    async def update_product_category(
        self, info: Info, id: strawberry.ID, input: ProductCategoryInput
    ) -> ProductCategoryPayload:
        pk = decode_id(id, "ProductCategory")
        values = input_values(input, ids={"parent_id": "ProductCategory"})
        return await mutate.respond(
            ProductCategoryPayload,
            info,
            lambda c, a: categories.update_category(c, a, pk, values),
            categories.CATEGORY_UNIQUE,
        )

    @strawberry.mutation(extensions=MANAGE)
    async def deactivate_product_category(self, info: Info, id: strawberry.ID) -> ProductCategoryPayload:
        pk = decode_id(id, "ProductCategory")
        return await mutate.respond(
            ProductCategoryPayload, info, lambda c, a: categories.deactivate_category(c, a, pk)
        )

    @strawberry.mutation(extensions=MANAGE)
    async def create_specialty(self, info: Info, input: SpecialtyInput) -> SpecialtyPayload:
        values = input_values(input)
        return await mutate.respond(
            SpecialtyPayload,
            info,
            lambda c, a: categories.create_specialty(c, a, values),
            categories.SPECIALTY_UNIQUE,
        )

    @strawberry.mutation(extensions=MANAGE)
    async def update_specialty(
        self, info: Info, id: strawberry.ID, input: SpecialtyInput
    ) -> SpecialtyPayload:
        pk, values = decode_id(id, "Specialty"), input_values(input)
        return await mutate.respond(
            SpecialtyPayload,
            info,
            lambda c, a: categories.update_specialty(c, a, pk, values),
            categories.SPECIALTY_UNIQUE,
        )

    @strawberry.mutation(extensions=MANAGE)
    async def deactivate_specialty(self, info: Info, id: strawberry.ID) -> SpecialtyPayload:
        pk = decode_id(id, "Specialty")
        return await mutate.respond(
            SpecialtyPayload, info, lambda c, a: categories.deactivate_specialty(c, a, pk)
        )

    @strawberry.mutation(extensions=MANAGE)
    async def create_product(self, info: Info, input: ProductInput) -> ProductPayload:
        values = _product_values(input)
        return await mutate.respond(
            ProductPayload, info, lambda c, a: products.create_product(c, a, values), products.PRODUCT_UNIQUE
        )

    @strawberry.mutation(extensions=MANAGE)
    async def update_product(self, info: Info, id: strawberry.ID, input: ProductInput) -> ProductPayload:
        pk, values = decode_id(id, "Product"), _product_values(input)
        return await mutate.respond(
            ProductPayload,
            info,
            lambda c, a: products.update_product(c, a, pk, values),
            products.PRODUCT_UNIQUE,
        )

    @strawberry.mutation(extensions=MANAGE, description="Take a product off the catalog (soft delete).")
    async def deactivate_product(self, info: Info, id: strawberry.ID) -> ProductPayload:
        pk = decode_id(id, "Product")
        return await mutate.respond(ProductPayload, info, lambda c, a: products.deactivate_product(c, a, pk))

    @strawberry.mutation(extensions=MANAGE, description="File a product under a specialty.")
    async def link_product_specialty(
        self, info: Info, input: ProductSpecialtyInput
    ) -> ProductSpecialtyPayload:
        values = input_values(input, ids={"product_id": "Product", "specialty_id": "Specialty"})
        return await mutate.respond(
            ProductSpecialtyPayload,
            info,
            lambda c, a: products.link_specialty(c, a, values),
            products.LINK_UNIQUE,
        )

    @strawberry.mutation(extensions=MANAGE)
    async def unlink_product_specialty(self, info: Info, id: strawberry.ID) -> ProductSpecialtyPayload:
        pk = decode_id(id, "ProductSpecialty")
        return await mutate.respond(
            ProductSpecialtyPayload, info, lambda c, a: products.unlink_specialty(c, a, pk)
        )
