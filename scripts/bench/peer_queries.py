"""The queries of the side-by-side benchmark (peers.py), written for each system.

Each query is one GraphQL document per HTTP system, in that system's own naming, and for
the floor one SQL statement that builds, in PostgreSQL, the JSON medgraph answers.

- medgraph: run.py's `tenancy.nested`, the flat list of organizations, and `orders.nested`
  (the 50 newest orders, each with its items -> product -> manufacturer, facility, provider,
  status history and shipments; the demo data of `--scale 10` has about 5,000 orders a tenant).
- PostGraphile 5: its default inflection (`allOrganizations`; relations named after the
  foreign keys, which all carry `tenant_id`: `facilitiesByTenantIdAndOrganizationId`,
  `orderItemsByTenantIdAndOrderId`). Its default order (primary key) is used: it offers
  `orderBy: NAME_ASC` only on indexed columns, and the demo organizations fit in one page, so
  the rows are the same, in another order. Orders are many: they are taken newest first
  (`CREATED_AT_DESC`, offered since `orders_created` indexes the column) like medgraph's;
  an order's items, history and shipments all fit in their page, in primary key order.
- floor: medgraph's order (name then id; assignments newest first, their `orderBy`
  default; orders newest first, items by position, history and shipments oldest first, the
  id breaking ties), its filters (no deactivated organizations or facilities), its global
  IDs (base64url of "Type:uuid", unpadded), enum spelling (upper case) and decimals (text),
  so its `data` equals medgraph's, parsed (peers.py checks, once, before the timed runs;
  PostgreSQL's json output spaces differ, and medgraph may add `extensions`).
"""

from __future__ import annotations

from typing import Any

QUERY_NAMES = ("tenancy.nested", "tenancy.flat", "orders.nested")

MEDGRAPH = {
    "tenancy.nested": """
        query Nested { organizations(first: 10) { totalCount nodes { id name type
          facilities(first: 10) { nodes { id name npi
            providerAssignments(first: 10) { nodes { isPrimaryLocation
              provider { id firstName lastName npi user { email } } } } } } } } }""",
    "tenancy.flat": """
        query Flat { organizations(first: 50) { totalCount nodes { id name type status createdAt } } }""",
    "orders.nested": """
        query Orders { orders(first: 50) { totalCount nodes { id orderNumber status totalAmount createdAt
          facility { id name } provider { id firstName lastName }
          items(first: 10) { nodes { id quantity unitPrice lineTotal
            product { id name sku manufacturer { id name } } } }
          statusHistory(first: 10) { nodes { fromStatus toStatus createdAt } }
          shipments(first: 5) { nodes { carrier trackingNumber shippedAt } } } } }""",
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
    "orders.nested": """
        query Orders { allOrders(first: 50, orderBy: CREATED_AT_DESC) { totalCount nodes {
          id orderNumber status totalAmount createdAt
          facilityByTenantIdAndFacilityId { id name }
          providerByTenantIdAndProviderId { id firstName lastName }
          orderItemsByTenantIdAndOrderId(first: 10) { nodes { id quantity unitPrice lineTotal
            productByTenantIdAndProductId { id name sku
              manufacturerByTenantIdAndManufacturerId { id name } } } }
          orderStatusHistoriesByTenantIdAndOrderId(first: 10) { nodes { fromStatus toStatus createdAt } }
          shipmentsByTenantIdAndOrderId(first: 5) { nodes { carrier trackingNumber shippedAt } } } } }""",
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


def _child(table: str, alias: str, order: str, limit: int, fields: str) -> str:
    """`{"nodes": [...]}` of one order's rows of `table`, the first `limit` in `order`."""
    return f"""json_build_object('nodes', coalesce((SELECT json_agg(json_build_object({fields})
            ORDER BY {order})
          FROM (SELECT * FROM {table} {alias}
                WHERE {alias}.tenant_id = o.tenant_id AND {alias}.order_id = o.id
                ORDER BY {order} LIMIT {limit}) {alias}), '[]'))"""


_ITEM_FIELDS = f"""'id', {_gid("OrderItem", "i.id")}, 'quantity', i.quantity,
            'unitPrice', i.unit_price::text, 'lineTotal', i.line_total::text,
            'product', (SELECT json_build_object('id', {_gid("Product", "p.id")}, 'name', p.name,
                'sku', p.sku, 'manufacturer', (SELECT json_build_object(
                    'id', {_gid("Manufacturer", "m.id")}, 'name', m.name)
                  FROM manufacturers m WHERE m.tenant_id = p.tenant_id AND m.id = p.manufacturer_id))
              FROM products p WHERE p.tenant_id = i.tenant_id AND p.id = i.product_id)"""
_HISTORY_FIELDS = f"""'fromStatus', upper(h.from_status), 'toStatus', upper(h.to_status),
            'createdAt', {_instant("h.created_at")}"""
_SHIPMENT_FIELDS = f"""'carrier', s.carrier, 'trackingNumber', s.tracking_number,
            'shippedAt', {_instant("s.shipped_at")}"""

_ORDERS_SQL = f"""
SELECT json_build_object('data', json_build_object('orders', json_build_object(
  'totalCount', (SELECT count(*) FROM orders),
  'nodes', coalesce((SELECT json_agg(json_build_object(
      'id', {_gid("Order", "o.id")}, 'orderNumber', o.order_number, 'status', upper(o.status),
      'totalAmount', o.total_amount::text, 'createdAt', {_instant("o.created_at")},
      'facility', (SELECT json_build_object('id', {_gid("Facility", "f.id")}, 'name', f.name)
        FROM facilities f WHERE f.tenant_id = o.tenant_id AND f.id = o.facility_id),
      'provider', (SELECT json_build_object('id', {_gid("Provider", "p.id")}, 'firstName', p.first_name,
          'lastName', p.last_name)
        FROM providers p WHERE p.tenant_id = o.tenant_id AND p.id = o.provider_id),
      'items', {_child("order_items", "i", "i.position, i.id", 10, _ITEM_FIELDS)},
      'statusHistory', {_child("order_status_history", "h", "h.created_at, h.id", 10, _HISTORY_FIELDS)},
      'shipments', {_child("shipments", "s", "s.created_at, s.id", 5, _SHIPMENT_FIELDS)}
    ) ORDER BY o.created_at DESC, o.id DESC)
    FROM (SELECT * FROM orders ORDER BY created_at DESC, id DESC LIMIT 50) o), '[]'))))::text
"""

FLOOR = {"tenancy.nested": _NESTED_SQL, "tenancy.flat": _FLAT_SQL, "orders.nested": _ORDERS_SQL}

# One statement sets the five settings, transaction-local, as medgraph's unit of work does.
SETTINGS = ("app.tenant_id", "app.user_id", "app.scope", "app.facility_ids", "app.org_ids")
SET_CONFIG_SQL = "SELECT " + ", ".join(f"set_config('{k}', ${i}, true)" for i, k in enumerate(SETTINGS, 1))


ORDER_CHILDREN = (
    ("items", "orderItemsByTenantIdAndOrderId"),
    ("statusHistory", "orderStatusHistoriesByTenantIdAndOrderId"),
    ("shipments", "shipmentsByTenantIdAndOrderId"),
)


def _field(obj: dict[str, Any], *names: str) -> Any:
    for name in names:
        if name in obj:
            return obj[name]
    raise KeyError(f"none of {names} in {sorted(obj)}")


def row_counts(query: str, body: dict[str, Any]) -> str:
    """What an answer holds, the same way for every system's naming: for the nested query
    organizations/facilities/assignments/providers, for the flat list organizations, for
    the orders orders/items/history rows/shipments."""
    data = body["data"]
    if query == "orders.nested":
        orders = _field(data, "orders", "allOrders")["nodes"]
        counts = [len(orders)]
        for names in ORDER_CHILDREN:
            counts.append(sum(len(_field(order, *names)["nodes"]) for order in orders))
        return "/".join(map(str, counts))
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
