"""Enumerations of the products module (values as stored in the database)."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class ManufacturerType(Enum):
    MANUFACTURER = "manufacturer"
    DISTRIBUTOR = "distributor"
    PHARMACY = "pharmacy"
    COMPOUNDING = "compounding"


@strawberry.enum
class ManufacturerStatus(Enum):
    ACTIVE = "active"
    ONBOARDING = "onboarding"
    SUSPENDED = "suspended"
    INACTIVE = "inactive"


@strawberry.enum(description="How orders reach a manufacturer.")
class SubmissionMethod(Enum):
    EMAIL = "email"
    API = "api"
    PORTAL = "portal"
    EDI = "edi"
    FAX = "fax"


@strawberry.enum
class VerificationType(Enum):
    INSURANCE = "insurance"
    PRIOR_AUTH = "prior_auth"
    MEDICAL_NECESSITY = "medical_necessity"
    LICENSE = "license"


@strawberry.enum
class VerificationFrequency(Enum):
    PER_ORDER = "per_order"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"


@strawberry.enum(description="What a manufacturer's contact list is for.")
class ContactPurpose(Enum):
    ORDER = "order"
    VERIFICATION = "verification"
    SUPPORT = "support"


@strawberry.enum
class CategoryType(Enum):
    WOUND_CARE = "wound_care"
    ORTHOPEDIC = "orthopedic"
    PHARMACEUTICAL = "pharmaceutical"
    DME = "dme"
    SUPPLIES = "supplies"
    OTHER = "other"


@strawberry.enum(description="The coding system of a product's billing code.")
class CodeType(Enum):
    HCPCS = "hcpcs"
    NDC = "ndc"
    UPN = "upn"
    CUSTOM = "custom"


@strawberry.enum
class ProductType(Enum):
    DEVICE = "device"
    DRUG = "drug"
    BIOLOGIC = "biologic"
    SUPPLY = "supply"
    EQUIPMENT = "equipment"


@strawberry.enum
class LocationType(Enum):
    WAREHOUSE = "warehouse"
    CONSIGNMENT = "consignment"
    TRUNK_STOCK = "trunk_stock"


@strawberry.enum(description="What a stock movement did to a level.")
class MovementKind(Enum):
    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    RESERVATION = "reservation"
    RELEASE = "release"
    SHIPMENT = "shipment"
    RETURN = "return"


@strawberry.enum
class ProductSortField(Enum):
    RELEVANCE = "relevance"
    NAME = "name"
    PRICE = "price"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.enum
class LevelSortField(Enum):
    AVAILABLE = "available"
    UPDATED_AT = "updated_at"
    CREATED_AT = "created_at"
