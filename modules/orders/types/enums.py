"""Enumerations of the orders module (values as stored in the database)."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Where an order stands in its workflow (see the README's table).")
class OrderStatus(Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    NEEDS_ATTENTION = "needs_attention"
    PENDING_ADMIN_REVIEW = "pending_admin_review"
    APPROVED = "approved"
    SUBMITTED_TO_MANUFACTURER = "submitted_to_manufacturer"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


@strawberry.enum
class OrderType(Enum):
    STANDARD = "standard"
    RUSH = "rush"
    CONSIGNMENT = "consignment"
    TRIAL = "trial"


@strawberry.enum
class RequestType(Enum):
    NEW_REQUEST = "new_request"
    REVERIFICATION = "reverification"
    ADDITIONAL_APPLICATIONS = "additional_applications"


@strawberry.enum
class ShippingSpeed(Enum):
    FIRST_AM = "1st_am"
    EARLY_NEXT = "early_next"
    STANDARD_NEXT = "standard_next"
    STANDARD_2DAY = "standard_2day"


@strawberry.enum
class PlanType(Enum):
    FFS = "ffs"
    HMO = "hmo"
    PPO = "ppo"
    EPO = "epo"
    POS = "pos"
    MEDICARE_ADVANTAGE = "medicare_advantage"
    MEDICAID = "medicaid"
    OTHER = "other"


@strawberry.enum
class NetworkStatus(Enum):
    IN_NETWORK = "in_network"
    OUT_OF_NETWORK = "out_of_network"
    UNKNOWN = "unknown"


@strawberry.enum
class SubscriberRelationship(Enum):
    SELF = "self"
    SPOUSE = "spouse"
    CHILD = "child"
    OTHER = "other"


@strawberry.enum(description="What an order in the review queue needs from an admin.")
class QueueAction(Enum):
    REVIEW = "review"
    TRACK = "track"
    VIEW = "view"


@strawberry.enum(description="What a submission check concluded.")
class CheckOutcome(Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


@strawberry.enum
class SalesRepStatus(Enum):
    ACTIVE = "active"
    INACTIVE = "inactive"


@strawberry.enum
class OrderSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    SUBMITTED_AT = "submitted_at"
    ORDER_NUMBER = "order_number"
    TOTAL = "total_amount"
