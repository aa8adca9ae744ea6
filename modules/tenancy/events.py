"""The domain events tenancy emits (see app/events.py): each type once, with its payload."""

from __future__ import annotations

from app.events import EventType

TENANT_DEACTIVATED = EventType("tenant.deactivated", "An operator suspended the tenant")
TENANT_ACTIVATED = EventType("tenant.activated", "An operator restored the tenant")
USER_CREATED = EventType("user.created", "A user was created")
USER_DEACTIVATED = EventType("user.deactivated", "A user was deactivated; their sessions ended")
USER_ROLES_CHANGED = EventType("user.roles_changed", "A user's roles were replaced", {"role_ids": "ids"})
ROLE_PERMISSIONS_CHANGED = EventType(
    "role.permissions_changed", "A role's permissions were replaced", {"permissions": "codes"}
)
_MEMBERSHIP = {"user_id": "id", "organization_id": "id", "facility_id": "id", "role": "code"}
MEMBERSHIP_GRANTED = EventType(
    "membership.granted", "A user was given an organization or facility", _MEMBERSHIP
)
MEMBERSHIP_REVOKED = EventType("membership.revoked", "A membership was taken away", _MEMBERSHIP)
PATIENT_REGISTERED = EventType("patient.registered", "A patient was registered", {"facility_id": "id"})
PATIENT_DEACTIVATED = EventType("patient.deactivated", "A patient was deactivated")

EVENTS = (
    TENANT_DEACTIVATED,
    TENANT_ACTIVATED,
    USER_CREATED,
    USER_DEACTIVATED,
    USER_ROLES_CHANGED,
    ROLE_PERMISSIONS_CHANGED,
    MEMBERSHIP_GRANTED,
    MEMBERSHIP_REVOKED,
    PATIENT_REGISTERED,
    PATIENT_DEACTIVATED,
)
