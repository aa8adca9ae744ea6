"""Addresses of organizations, facilities and providers."""

from __future__ import annotations

import datetime as dt

import strawberry

from modules.tenancy import models as m
from modules.tenancy.types.enums import AddressType
from modules.tenancy.types.listings import ADDRESSES
from schema.entities import entity
from schema.relay import Node


@entity(
    m.addresses,
    node="tenancy.read",
    columns={"street1": "street_1", "street2": "street_2"},
    listing=ADDRESSES,
)
@strawberry.type
class Address(Node):
    address_type: AddressType
    street1: str
    street2: str | None
    city: str
    state_province: str
    postal_code: str
    country_code: str
    is_primary: bool
    owner_type: str
    created_at: dt.datetime
    deactivated_at: dt.datetime | None
