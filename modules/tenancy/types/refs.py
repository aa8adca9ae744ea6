"""Lazy references to the tenancy types, for annotations across files (no import cycles).

Import them by name (`from ...refs import FacilityRef`): Strawberry resolves a lazy
alias that an annotation names directly."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

if TYPE_CHECKING:
    from modules.tenancy.types.address import Address
    from modules.tenancy.types.facility import Facility
    from modules.tenancy.types.organization import Organization
    from modules.tenancy.types.patient import Patient
    from modules.tenancy.types.provider import Provider, ProviderAssignment
    from modules.tenancy.types.user import Membership, Role, User

_TYPES = "modules.tenancy.types"

AddressRef = Annotated["Address", strawberry.lazy(f"{_TYPES}.address")]
OrganizationRef = Annotated["Organization", strawberry.lazy(f"{_TYPES}.organization")]
FacilityRef = Annotated["Facility", strawberry.lazy(f"{_TYPES}.facility")]
ProviderRef = Annotated["Provider", strawberry.lazy(f"{_TYPES}.provider")]
ProviderAssignmentRef = Annotated["ProviderAssignment", strawberry.lazy(f"{_TYPES}.provider")]
PatientRef = Annotated["Patient", strawberry.lazy(f"{_TYPES}.patient")]
UserRef = Annotated["User", strawberry.lazy(f"{_TYPES}.user")]
RoleRef = Annotated["Role", strawberry.lazy(f"{_TYPES}.user")]
MembershipRef = Annotated["Membership", strawberry.lazy(f"{_TYPES}.user")]
