"""Enumerations of the tenancy module (values as stored in the database)."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class OrganizationType(Enum):
    HOSPITAL = "hospital"
    CLINIC = "clinic"
    PRACTICE = "practice"
    PHARMACY = "pharmacy"
    HOME_HEALTH = "home_health"
    DISTRIBUTOR = "distributor"


@strawberry.enum
class OrganizationStatus(Enum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    INACTIVE = "inactive"


@strawberry.enum
class FacilityType(Enum):
    MAIN = "main"
    SATELLITE = "satellite"
    CLINIC = "clinic"
    HOSPITAL = "hospital"
    PHARMACY = "pharmacy"
    WAREHOUSE = "warehouse"


@strawberry.enum
class IdentifierType(Enum):
    NPI = "npi"
    DEA = "dea"
    STATE_LICENSE = "state_license"
    OTHER = "other"


@strawberry.enum
class ActiveStatus(Enum):
    ACTIVE = "active"
    INACTIVE = "inactive"


@strawberry.enum
class ProviderStatus(Enum):
    PENDING_VERIFICATION = "pending_verification"
    ACTIVE = "active"
    INACTIVE = "inactive"
    SUSPENDED = "suspended"


@strawberry.enum
class AddressType(Enum):
    BILLING = "billing"
    SHIPPING = "shipping"
    MAILING = "mailing"
    PRACTICE_LOCATION = "practice_location"


@strawberry.enum
class MembershipRole(Enum):
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


@strawberry.enum
class Sex(Enum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"
