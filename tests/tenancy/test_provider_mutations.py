"""Mutations of providers, addresses, provider assignments and the tenant: happy paths with
their audit rows (bad input: test_provider_bad_input.py)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from medgraph.demo import npi_for
from tests.tenancy.provider_ops import (
    ASSIGN,
    ASSIGNMENT,
    CREATE_ADDRESS,
    CREATE_PROVIDER,
    DEACTIVATE_ADDRESS,
    DEACTIVATE_PROVIDER,
    END_ASSIGNMENT,
    UPDATE_ADDRESS,
    UPDATE_ASSIGNMENT,
    UPDATE_PROVIDER,
    UPDATE_TENANT,
    audit_actions,
    provider_input,
    seeded,
)

# Happy paths


async def test_provider_lifecycle_is_audited(tenant_a):
    ids = await seeded(tenant_a)
    seed = f"provider-{uuid.uuid4()}"
    created = await tenant_a.query(
        CREATE_PROVIDER,
        {
            "input": provider_input(
                seed,
                firstName="  Rosa ",
                middleName="M",
                suffix="Jr",
                taxonomyCode="207Q00000X",
                contactEmail="rosa@clinic.test",
                contactPhone="+1 555 0101",
                userId=ids["user"],
            )
        },
    )
    payload = created["createProvider"]
    assert payload["errors"] == []
    provider = payload["provider"]
    assert provider["firstName"] == "Rosa" and provider["npi"] == npi_for(seed)
    assert provider["status"] == "PENDING_VERIFICATION" and provider["taxonomyCode"] == "207Q00000X"
    assert provider["user"] == {"id": ids["user"]}

    updated = await tenant_a.query(
        UPDATE_PROVIDER,
        {"id": provider["id"], "input": {"credentials": "MD", "status": "ACTIVE", "userId": None}},
    )
    assert updated["updateProvider"]["errors"] == []
    assert updated["updateProvider"]["provider"]["credentials"] == "MD"
    assert updated["updateProvider"]["provider"]["status"] == "ACTIVE"
    assert updated["updateProvider"]["provider"]["user"] is None

    assigned = await tenant_a.query(
        ASSIGN, {"input": {"facilityId": ids["facility"], "providerId": provider["id"]}}
    )
    assignment = assigned["assignProvider"]["providerAssignment"]
    deactivated = await tenant_a.query(DEACTIVATE_PROVIDER, {"id": provider["id"]})
    assert deactivated["deactivateProvider"]["provider"]["status"] == "INACTIVE"
    assert deactivated["deactivateProvider"]["provider"]["deactivatedAt"] is not None
    again = await tenant_a.query(DEACTIVATE_PROVIDER, {"id": provider["id"]})
    assert again["deactivateProvider"]["provider"] == deactivated["deactivateProvider"]["provider"]

    ended = await tenant_a.query(
        f"query($id: ID!) {{ node(id: $id) {{ ... on ProviderAssignment {{ {ASSIGNMENT} }} }} }}",
        {"id": assignment["id"]},
    )
    assert ended["node"]["status"] == "INACTIVE" and ended["node"]["endDate"] is not None
    listed = await tenant_a.query(
        "query($npi: String!) { providers(filter: {npi: $npi}) { totalCount } }", {"npi": npi_for(seed)}
    )
    assert listed["providers"]["totalCount"] == 0
    assert await audit_actions(tenant_a, "Provider", provider["id"]) == [
        "provider.create",
        "provider.update",
        "provider.deactivate",
    ]
    audit = await tenant_a.query('{ auditLog(filter: {entityType: "Provider"}) { nodes { action } } }')
    assert {"action": "provider.create"} in audit["auditLog"]["nodes"]
    assert await audit_actions(tenant_a, "ProviderAssignment", assignment["id"]) == [
        "providerassignment.create",
        "providerassignment.end",
    ]


@pytest.mark.parametrize("owner", ["org", "facility", "provider"])
async def test_address_lifecycle_is_audited(tenant_a, owner):
    ids = await seeded(tenant_a)
    created = await tenant_a.query(
        CREATE_ADDRESS,
        {
            "input": {
                "ownerId": ids[owner],
                "addressType": "BILLING",
                "street1": " 1 Elm St ",
                "city": "Portland",
                "stateProvince": "OR",
                "postalCode": "97201",
            }
        },
    )
    payload = created["createAddress"]
    assert payload["errors"] == []
    address = payload["address"]
    assert address["ownerType"] == {"org": "organization"}.get(owner, owner)
    assert address["street1"] == "1 Elm St" and address["countryCode"] == "USA"
    assert address["addressType"] == "BILLING" and address["isPrimary"] is False

    updated = await tenant_a.query(
        UPDATE_ADDRESS,
        {"id": address["id"], "input": {"street2": "Suite 4", "countryCode": "CA", "isPrimary": True}},
    )
    assert updated["updateAddress"]["errors"] == []
    assert updated["updateAddress"]["address"]["street2"] == "Suite 4"
    assert updated["updateAddress"]["address"]["countryCode"] == "CA"
    assert updated["updateAddress"]["address"]["isPrimary"] is True

    deactivated = await tenant_a.query(DEACTIVATE_ADDRESS, {"id": address["id"]})
    assert deactivated["deactivateAddress"]["address"]["deactivatedAt"] is not None
    assert await audit_actions(tenant_a, "Address", address["id"]) == [
        "address.create",
        "address.update",
        "address.deactivate",
    ]


async def test_assignment_lifecycle_is_audited(tenant_a):
    ids = await seeded(tenant_a)
    created = await tenant_a.query(
        ASSIGN,
        {"input": {"facilityId": ids["other_facility"], "providerId": ids["provider"], "canOrder": False}},
    )
    payload = created["assignProvider"]
    assert payload["errors"] == []
    assignment = payload["providerAssignment"]
    assert assignment["provider"] == {"id": ids["provider"]}
    assert assignment["facility"] == {"id": ids["other_facility"]}
    assert assignment["status"] == "ACTIVE" and assignment["canOrder"] is False
    assert assignment["isPrimaryLocation"] is False
    assert assignment["startDate"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert assignment["endDate"] is None

    updated = await tenant_a.query(
        UPDATE_ASSIGNMENT,
        {
            "id": assignment["id"],
            "input": {"startDate": "2026-01-01", "endDate": "2026-12-31", "isPrimaryLocation": True},
        },
    )
    assert updated["updateProviderAssignment"]["errors"] == []
    changed = updated["updateProviderAssignment"]["providerAssignment"]
    assert (changed["startDate"], changed["endDate"], changed["isPrimaryLocation"]) == (
        "2026-01-01",
        "2026-12-31",
        True,
    )

    ended = await tenant_a.query(END_ASSIGNMENT, {"id": assignment["id"]})
    assert ended["endProviderAssignment"]["providerAssignment"]["status"] == "INACTIVE"
    assert ended["endProviderAssignment"]["providerAssignment"]["endDate"] == "2026-12-31"
    ended_seeded = await tenant_a.query(END_ASSIGNMENT, {"id": ids["assignment"]})
    assert ended_seeded["endProviderAssignment"]["providerAssignment"]["endDate"] is not None
    assert await audit_actions(tenant_a, "ProviderAssignment", assignment["id"]) == [
        "providerassignment.create",
        "providerassignment.update",
        "providerassignment.end",
    ]


async def test_update_tenant_is_audited(tenant_a):
    result = await tenant_a.query(
        UPDATE_TENANT,
        {
            "input": {
                "name": " Renamed Health ",
                "settings": {"locale": "en-US"},
                "features": {"pharmacy": True},
            }
        },
    )
    payload = result["updateTenant"]
    assert payload["errors"] == []
    assert payload["tenant"]["name"] == "Renamed Health"
    assert payload["tenant"]["settings"] == {"locale": "en-US"}
    assert payload["tenant"]["features"] == {"pharmacy": True}
    me = await tenant_a.query("{ me { tenant { id name features } } }")
    assert me["me"]["tenant"] == {
        "id": payload["tenant"]["id"],
        "name": "Renamed Health",
        "features": {"pharmacy": True},
    }
    assert await audit_actions(tenant_a, "Tenant", payload["tenant"]["id"]) == ["tenant.update"]
