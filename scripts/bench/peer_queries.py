"""The queries of the side-by-side benchmark (peers.py), written for each system.

Each query is one GraphQL document per HTTP system, in that system's own naming, and for
the floor one SQL statement that builds, in PostgreSQL, the JSON medgraph answers.

- medgraph: run.py's `tenancy.nested`, and the flat list of organizations.
- PostGraphile 5: its default inflection (`allOrganizations`; relations named after the
  foreign keys, which all carry `tenant_id`: `facilitiesByTenantIdAndOrganizationId`).
  Its default order (primary key) is used: it offers `orderBy: NAME_ASC` only on indexed
  columns, and the demo data fits in one page, so the rows are the same, in another order.
- floor: medgraph's order (name then id; assignments newest first, their `orderBy`
  default), its filters (no deactivated organizations or facilities), its global IDs (base64url of
  "Type:uuid", unpadded) and enum spelling (upper case), so its `data` equals
  medgraph's, parsed (peers.py checks, once, before the timed runs; PostgreSQL's json output
  spaces differ, and medgraph may add `extensions`).
"""

from __future__ import annotations

from typing import Any

QUERY_NAMES = ("tenancy.nested", "tenancy.flat")

MEDGRAPH = {
    "tenancy.nested": """
        query Nested { organizations(first: 10) { totalCount nodes { id name type
          facilities(first: 10) { nodes { id name npi
            providerAssignments(first: 10) { nodes { isPrimaryLocation
              provider { id firstName lastName npi user { email } } } } } } } } }""",
    "tenancy.flat": """
        query Flat { organizations(first: 50) { totalCount nodes { id name type status createdAt } } }""",
}

POSTGRAPHILE = {
    "tenancy.nested": """
        query Nested { allOrganizations(first: 10) { totalCount nodes { id name type
          facilitiesByTenantIdAndOrganizationId(first: 10) { nodes { id name npi
            providerAssignmentsByTenantIdAndFacilityId(first: 10) { nodes { isPrimaryLocation
              providerByTenantIdAndProviderId { id firstName lastName npi
                userByTenantIdAndUserId { email } } } } } } } } }""",
    "tenancy.flat": """
        query Flat { allOrganizations(first: 50) { totalCount nodes { id name type status createdAt } } }""",
}


def _gid(type_name: str, column: str) -> str:
    """medgraph's global ID in SQL: base64url("Type:uuid") without padding."""
    raw = f"encode(convert_to('{type_name}:' || {column}, 'UTF8'), 'base64')"
    return f"rtrim(translate({raw}, E'+/\\n', '-_'), '=')"


def _instant(column: str) -> str:
    """A timestamptz as Python's isoformat() of a UTC datetime (what medgraph sends)."""
    return (
        f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN extract(microseconds FROM {column})::int % 1000000 = 0 THEN ''"
        f" ELSE to_char({column} AT TIME ZONE 'UTC', '.US') END || '+00:00'"
    )


_NESTED_SQL = f"""
SELECT json_build_object('data', json_build_object('organizations', json_build_object(
  'totalCount', (SELECT count(*) FROM organizations WHERE deactivated_at IS NULL),
  'nodes', coalesce((SELECT json_agg(json_build_object(
      'id', {_gid("Organization", "o.id")}, 'name', o.name, 'type', upper(o.type),
      'facilities', json_build_object('nodes', coalesce((SELECT json_agg(json_build_object(
          'id', {_gid("Facility", "f.id")}, 'name', f.name, 'npi', f.npi,
          'providerAssignments', json_build_object('nodes', coalesce((SELECT json_agg(json_build_object(
              'isPrimaryLocation', a.is_primary_location,
              'provider', (SELECT json_build_object(
                  'id', {_gid("Provider", "p.id")}, 'firstName', p.first_name,
                  'lastName', p.last_name, 'npi', p.npi,
                  'user', (SELECT json_build_object('email', u.email) FROM users u
                           WHERE u.tenant_id = p.tenant_id AND u.id = p.user_id))
                FROM providers p WHERE p.tenant_id = a.tenant_id AND p.id = a.provider_id)
            ) ORDER BY a.created_at DESC, a.id DESC)
            FROM (SELECT * FROM provider_assignments a WHERE a.tenant_id = f.tenant_id
                  AND a.facility_id = f.id ORDER BY a.created_at DESC, a.id DESC LIMIT 10) a), '[]'))
        ) ORDER BY f.name, f.id)
        FROM (SELECT * FROM facilities f WHERE f.tenant_id = o.tenant_id AND f.organization_id = o.id
              AND f.deactivated_at IS NULL ORDER BY f.name, f.id LIMIT 10) f), '[]'))
    ) ORDER BY o.name, o.id)
    FROM (SELECT * FROM organizations WHERE deactivated_at IS NULL
          ORDER BY name, id LIMIT 10) o), '[]'))))::text
"""

_FLAT_SQL = f"""
SELECT json_build_object('data', json_build_object('organizations', json_build_object(
  'totalCount', (SELECT count(*) FROM organizations WHERE deactivated_at IS NULL),
  'nodes', coalesce((SELECT json_agg(json_build_object(
      'id', {_gid("Organization", "o.id")}, 'name', o.name, 'type', upper(o.type),
      'status', upper(o.status), 'createdAt', {_instant("o.created_at")}
    ) ORDER BY o.name, o.id)
    FROM (SELECT * FROM organizations WHERE deactivated_at IS NULL
          ORDER BY name, id LIMIT 50) o), '[]'))))::text
"""

FLOOR = {"tenancy.nested": _NESTED_SQL, "tenancy.flat": _FLAT_SQL}

# One statement sets the five settings, transaction-local, as medgraph's unit of work does.
SETTINGS = ("app.tenant_id", "app.user_id", "app.scope", "app.facility_ids", "app.org_ids")
SET_CONFIG_SQL = "SELECT " + ", ".join(f"set_config('{k}', ${i}, true)" for i, k in enumerate(SETTINGS, 1))


def _field(obj: dict[str, Any], *names: str) -> Any:
    for name in names:
        if name in obj:
            return obj[name]
    raise KeyError(f"none of {names} in {sorted(obj)}")


def row_counts(query: str, body: dict[str, Any]) -> str:
    """What an answer holds, the same way for every system's naming: for the nested query
    organizations/facilities/assignments/providers, for the flat list organizations."""
    data = body["data"]
    orgs = _field(data, "organizations", "allOrganizations")["nodes"]
    if query == "tenancy.flat":
        return str(len(orgs))
    facilities = [
        f for o in orgs for f in _field(o, "facilities", "facilitiesByTenantIdAndOrganizationId")["nodes"]
    ]
    assignments = [
        a
        for f in facilities
        for a in _field(f, "providerAssignments", "providerAssignmentsByTenantIdAndFacilityId")["nodes"]
    ]
    providers = [p for a in assignments if (p := _field(a, "provider", "providerByTenantIdAndProviderId"))]
    return f"{len(orgs)}/{len(facilities)}/{len(assignments)}/{len(providers)}"
