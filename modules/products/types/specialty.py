"""Specialties (wound care, vascular, ...) and which products belong to them."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON

from modules.products import models as m
from modules.products.types.listings import PRODUCT_SPECIALTIES, SPECIALTIES
from modules.products.types.refs import ProductRef, ProductSpecialtyRef, SpecialtyRef
from schema.entities import entity, to_one
from schema.listing import connection
from schema.relay import Connection, Node


@entity(m.specialties, node="products.read", listing=SPECIALTIES)
@strawberry.type
class Specialty(Node):
    code: str
    name: str
    restricted_access: bool
    validation_rules: JSON
    form_templates: JSON
    workflow_overrides: JSON
    created_at: dt.datetime
    updated_at: dt.datetime
    deactivated_at: dt.datetime | None

    products: Connection[ProductSpecialtyRef] = connection(PRODUCT_SPECIALTIES, parent="specialty_id")


@entity(m.product_specialties, node="products.read", listing=PRODUCT_SPECIALTIES)
@strawberry.type(description="A product's place in a specialty.")
class ProductSpecialty(Node):
    is_primary: bool
    created_at: dt.datetime

    product: ProductRef | None = to_one("product_id")
    specialty: SpecialtyRef | None = to_one("specialty_id")
