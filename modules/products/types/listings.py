"""How each products list filters and sorts: the filter inputs, the SQL conditions they
mean, and one `Listing` per list (see schema/listing.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import strawberry

from app.context import RequestContext
from modules.products import models as m
from modules.products.types.enums import (
    CategoryType,
    CodeType,
    LevelSortField,
    LocationType,
    ManufacturerStatus,
    ManufacturerType,
    MovementKind,
    ProductSortField,
    ProductType,
)
from modules.products.types.search import relevance, search_condition, search_key, search_text
from schema.filtering import FieldMatch, id_matches
from schema.listing import Listing, Ranked
from schema.ordering import NAMED_COLUMNS, TIMED_COLUMNS, NamedOrder, SortDirection, TimeOrder
from schema.relay import decode_id


@strawberry.input
class ManufacturerFilter:
    search: str | None = strawberry.field(default=None, description="Part of the name")
    types: list[ManufacturerType] | None = None
    statuses: list[ManufacturerStatus] | None = None
    include_deactivated: bool = False


@strawberry.input
class CategoryFilter:
    search: str | None = strawberry.field(default=None, description="Part of the name")
    types: list[CategoryType] | None = None
    include_deactivated: bool = False


@strawberry.input
class SpecialtyFilter:
    search: str | None = strawberry.field(default=None, description="Part of the code or name")
    restricted_access: bool | None = None
    include_deactivated: bool = False


@strawberry.input
class ProductFilter:
    search: str | None = strawberry.field(
        default=None,
        description="Words of the name, description, manufacturer, SKU or code (prefixes match); "
        "an exact code or SKU comes first",
    )
    category_id: strawberry.ID | None = strawberry.field(
        default=None, description="This category and every category under it"
    )
    manufacturer_id: strawberry.ID | None = None
    specialty_id: strawberry.ID | None = None
    code: str | None = strawberry.field(default=None, description="The billing code, punctuation ignored")
    code_types: list[CodeType] | None = None
    types: list[ProductType] | None = None
    is_active: bool | None = None
    requires_verification: bool | None = None
    requires_prescription: bool | None = None
    include_deactivated: bool = False


@strawberry.input(description="Sort products; searching sorts by relevance unless told otherwise.")
class ProductOrder:
    field: ProductSortField = ProductSortField.NAME
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class LocationFilter:
    search: str | None = strawberry.field(default=None, description="Part of the name")
    types: list[LocationType] | None = None
    include_deactivated: bool = False


@strawberry.input
class LevelFilter:
    product_id: strawberry.ID | None = None
    location_id: strawberry.ID | None = None
    low_only: bool = strawberry.field(
        default=False, description="Only levels at or below their reorder point"
    )
    include_deactivated: bool = False


@strawberry.input
class LevelOrder:
    field: LevelSortField = LevelSortField.AVAILABLE
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class MovementFilter:
    product_id: strawberry.ID | None = None
    location_id: strawberry.ID | None = None
    kinds: list[MovementKind] | None = None
    reference: str | None = None


def _values(items: list[Any] | None) -> list[str] | None:
    return [item.value for item in items] if items else None


def product_where(_: RequestContext, f: ProductFilter | None) -> list[sa.ColumnElement[bool]]:
    f = f or ProductFilter()
    t = m.products.c
    where: list[sa.ColumnElement[bool]] = [] if f.include_deactivated else [t.deactivated_at.is_(None)]
    if (text := search_text(f)) is not None:
        where.append(search_condition(t, text))
    if f.category_id is not None:
        category, c = decode_id(f.category_id, "ProductCategory"), m.product_categories.c
        subtree = sa.select(c.id).where(c.path.contains([category]) if category else sa.false())
        where.append(t.category_id.in_(subtree))
    if f.manufacturer_id is not None:
        where.append(id_matches(t.manufacturer_id, f.manufacturer_id, "Manufacturer"))
    if f.specialty_id is not None:
        linked = sa.select(m.product_specialties.c.product_id).where(
            id_matches(m.product_specialties.c.specialty_id, f.specialty_id, "Specialty")
        )
        where.append(t.id.in_(linked))
    if f.code:
        where.append(t.code_key == search_key(f.code))
    if code_types := _values(f.code_types):
        where.append(t.code_type.in_(code_types))
    if types := _values(f.types):
        where.append(t.type.in_(types))
    for flag in ("is_active", "requires_verification", "requires_prescription"):
        value = getattr(f, flag)
        if value is not None:
            where.append(t[flag].is_(value))
    return where


def level_where(_: RequestContext, f: LevelFilter | None) -> list[sa.ColumnElement[bool]]:
    f = f or LevelFilter()
    t = m.inventory_levels.c
    where: list[sa.ColumnElement[bool]] = [] if f.include_deactivated else [t.deactivated_at.is_(None)]
    if f.product_id is not None:
        where.append(id_matches(t.product_id, f.product_id, "Product"))
    if f.location_id is not None:
        where.append(id_matches(t.location_id, f.location_id, "InventoryLocation"))
    if f.low_only:
        where.append(t.available <= t.reorder_point)
    return where


def low_stock_where(ctx: RequestContext, f: LevelFilter | None) -> list[sa.ColumnElement[bool]]:
    t = m.inventory_levels.c
    return [*level_where(ctx, f), t.available <= t.reorder_point]


def movement_where(_: RequestContext, f: MovementFilter | None) -> list[sa.ColumnElement[bool]]:
    f = f or MovementFilter()
    t = m.stock_movements.c
    where: list[sa.ColumnElement[bool]] = []
    if f.product_id is not None:
        where.append(id_matches(t.product_id, f.product_id, "Product"))
    if f.location_id is not None:
        where.append(id_matches(t.location_id, f.location_id, "InventoryLocation"))
    if kinds := _values(f.kinds):
        where.append(t.kind.in_(kinds))
    if f.reference:
        where.append(t.reference == f.reference)
    return where


def _relevance(f: ProductFilter | None) -> sa.ColumnElement[int] | None:
    text = search_text(f)
    return None if text is None else relevance(m.products.c, text)


MANUFACTURERS = Listing(
    m.manufacturers,
    NAMED_COLUMNS,
    ManufacturerFilter,
    FieldMatch(search=("name",), types="type", statuses="status"),
    NamedOrder,
)
CATEGORIES = Listing(
    m.product_categories,
    NAMED_COLUMNS,
    CategoryFilter,
    FieldMatch(search=("name",), types="type"),
    NamedOrder,
)
SPECIALTIES = Listing(
    m.specialties,
    NAMED_COLUMNS,
    SpecialtyFilter,
    FieldMatch(search=("code", "name"), restricted_access="restricted_access"),
    NamedOrder,
)
PRODUCTS = Listing(
    m.products,
    NAMED_COLUMNS | {"price": "price_sort"},
    ProductFilter,
    product_where,
    ProductOrder,
    ranked=Ranked("relevance", _relevance),
)
SIZES = Listing(m.product_sizes, {"position": "position"}, fixed_order=("position", False))
PRODUCT_SPECIALTIES = Listing(m.product_specialties, TIMED_COLUMNS, fixed_order=("created_at", False))
CONTACTS = Listing(m.manufacturer_contacts, TIMED_COLUMNS, fixed_order=("created_at", False))
LOCATIONS = Listing(
    m.inventory_locations,
    NAMED_COLUMNS,
    LocationFilter,
    FieldMatch(search=("name",), types="type"),
    NamedOrder,
)
_LEVEL_SORT = {"available": "available", **TIMED_COLUMNS}
LEVELS = Listing(m.inventory_levels, _LEVEL_SORT, LevelFilter, level_where, LevelOrder)
LOW_STOCK = Listing(m.inventory_levels, _LEVEL_SORT, LevelFilter, low_stock_where, LevelOrder)
MOVEMENTS = Listing(
    m.stock_movements,
    {"created_at": "created_at", "updated_at": "created_at"},
    MovementFilter,
    movement_where,
    TimeOrder,
)
