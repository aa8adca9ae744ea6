"""GraphQL documents and helpers shared by the provider, address, assignment and tenant
mutation tests."""

from __future__ import annotations

from typing import Any

from medgraph.demo import npi_for

ERRORS = "errors { field code message }"
PROVIDER = (
    "id firstName lastName middleName suffix credentials npi taxonomyCode contactEmail contactPhone status"
)
CREATE_PROVIDER = f"""mutation($input: ProviderInput!) {{ createProvider(input: $input) {{
  provider {{ {PROVIDER} user {{ id }} }} {ERRORS} }} }}"""
UPDATE_PROVIDER = f"""mutation($id: ID!, $input: ProviderInput!) {{ updateProvider(id: $id, input: $input) {{
  provider {{ {PROVIDER} user {{ id }} }} {ERRORS} }} }}"""
DEACTIVATE_PROVIDER = f"""mutation($id: ID!) {{ deactivateProvider(id: $id) {{
  provider {{ id status deactivatedAt }} {ERRORS} }} }}"""
ADDRESS = "id ownerType addressType street1 street2 city stateProvince postalCode countryCode isPrimary deactivatedAt"
CREATE_ADDRESS = f"""mutation($input: AddressInput!) {{ createAddress(input: $input) {{
  address {{ {ADDRESS} }} {ERRORS} }} }}"""
UPDATE_ADDRESS = f"""mutation($id: ID!, $input: AddressInput!) {{ updateAddress(id: $id, input: $input) {{
  address {{ {ADDRESS} }} {ERRORS} }} }}"""
DEACTIVATE_ADDRESS = f"""mutation($id: ID!) {{ deactivateAddress(id: $id) {{
  address {{ {ADDRESS} }} {ERRORS} }} }}"""
ASSIGNMENT = "id isPrimaryLocation canOrder status startDate endDate provider { id } facility { id }"
ASSIGN = f"""mutation($input: ProviderAssignmentInput!) {{ assignProvider(input: $input) {{
  providerAssignment {{ {ASSIGNMENT} }} {ERRORS} }} }}"""
UPDATE_ASSIGNMENT = f"""mutation($id: ID!, $input: ProviderAssignmentInput!) {{
  updateProviderAssignment(id: $id, input: $input) {{ providerAssignment {{ {ASSIGNMENT} }} {ERRORS} }} }}"""
END_ASSIGNMENT = f"""mutation($id: ID!) {{ endProviderAssignment(id: $id) {{
  providerAssignment {{ {ASSIGNMENT} }} {ERRORS} }} }}"""
UPDATE_TENANT = f"""mutation($input: TenantInput!) {{ updateTenant(input: $input) {{
  tenant {{ id name settings features }} {ERRORS} }} }}"""

# What must not change when a mutation is refused: counts, the audit trail and the tenant.
STATE = """query($owner: ID!) {
  providers(filter: {includeDeactivated: true}) { totalCount }
  auditLog { totalCount }
  me { tenant { name settings features } }
  node(id: $owner) { ... on Facility {
    addresses(filter: {includeDeactivated: true}) { totalCount }
    providerAssignments { totalCount } } } }"""
SEEDED = """{ organizations(first: 1) { nodes { id } }
  facilities(first: 5) { nodes { id } }
  users(filter: {search: "viewer"}) { nodes { id } }
  providers(first: 2) { nodes { id npi assignments { nodes { id facility { id } } } } } }"""
NODE_PROVIDER = f"query($id: ID!) {{ node(id: $id) {{ ... on Provider {{ {PROVIDER} }} }} }}"


def codes(payload: dict) -> set[tuple[str | None, str]]:
    return {(e["field"], e["code"]) for e in payload["errors"]}


async def seeded(tenant) -> dict[str, Any]:
    """IDs of the seeded tenant: an organization, facilities, a user and two providers."""
    data = await tenant.query(SEEDED)
    providers = data["providers"]["nodes"]
    assigned = providers[0]["assignments"]["nodes"][0]
    facilities = [n["id"] for n in data["facilities"]["nodes"]]
    return {
        "org": data["organizations"]["nodes"][0]["id"],
        "facility": assigned["facility"]["id"],
        "other_facility": next(f for f in facilities if f != assigned["facility"]["id"]),
        "user": data["users"]["nodes"][0]["id"],
        "provider": providers[0]["id"],
        "provider_npi": providers[0]["npi"],
        "other_provider": providers[1]["id"],
        "assignment": assigned["id"],
    }


async def state(tenant, ids: dict[str, Any]) -> dict[str, Any]:
    return await tenant.query(STATE, {"owner": ids["facility"]})


async def audit_actions(tenant, entity_type: str, entity_id: str) -> list[str]:
    data = await tenant.query(
        "query($t: String!, $id: ID!) { auditLog(filter: {entityType: $t, entityId: $id}, "
        "orderBy: {field: CREATED_AT, direction: ASC}) { nodes { action } } }",
        {"t": entity_type, "id": entity_id},
    )
    return [n["action"] for n in data["auditLog"]["nodes"]]


def provider_input(seed: str, **extra: Any) -> dict[str, Any]:
    return {"firstName": "Rosa", "lastName": "Diaz", "credentials": "NP", "npi": npi_for(seed), **extra}


def address_input(owner_id: str) -> dict[str, Any]:
    return {
        "ownerId": owner_id,
        "addressType": "SHIPPING",
        "street1": "1 A St",
        "city": "Springfield",
        "stateProvince": "IL",
        "postalCode": "62701",
    }
