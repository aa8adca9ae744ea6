"""Demo orders: sales reps, and orders in every status with their items, status history,
submission checks and shipments. Part of the demo seed (medgraph/demo.py), after the catalog:
idempotent (IDs derived from the tenant and order number; inserts skip rows that exist).

Each order is what the workflow (modules/orders/service/workflow.py) would have left: one
history row per move, from None -> draft to its status, later each, by the demo manager;
`version` the number of those rows; each status's STAMPS column at its move; items of one
manufacturer priced as `items.unit_price` prices them, the total their sum; a failed
`orders.lead_time` check and `attention_reasons` when its checks sent it back. Demo provider
i orders at its facility (i % number of facilities), for a patient of that facility.

`scale`: 24 orders a tenant at 1, ORDERS_PER_SCALE more a step (about 5,000 at 10). Order n
is the same at any scale that has it (a larger scale only adds), and may name the catalog
variants of the scale that brings it.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zlib
from collections import defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from medgraph.demo_catalog import CENT, FAMILIES, MAKERS, VARIANTS_PER_SCALE, Family, catalog_id
from medgraph.demo_ids import demo_id as _id
from modules.orders import models as o
from modules.orders.service.workflow import STAMPS

BASE_ORDERS = 24
ORDERS_PER_SCALE = 553  # scale 10: 24 + 9 * 553 = 5,001 orders a tenant
CHUNK = 5000  # rows per executemany call
ANALYZE_AFTER = 1000  # new orders
ANALYZED = ("orders", "order_items", "order_status_history", "order_checks", "shipments")
SPACING = dt.timedelta(minutes=90)  # between two orders' creation
SETTLED = dt.timedelta(days=14)  # the newest order was created this long ago: its moves are past
Row = dict[str, Any]
WOUND = ("wound_length_cm", "wound_width_cm", "wound_depth_cm")
OPTIONAL = (*WOUND, *STAMPS.values(), "reviewed_by_user_id", "actual_delivery_date", "status_reason")
# Columns of the rows built positionally by _row (which adds the tenant's id)
ITEM = (
    "id order_id product_id size_id quantity unit_price product_name billing_code code_type size_label"
    " position"
)
HISTORY = "id order_id from_status to_status reason actor_user_id created_at"
CHECK = "id order_id round check_key outcome reasons position created_at"
SHIPMENT = (
    "id order_id carrier tracking_number shipped_at delivered_at created_by_user_id created_at updated_at"
)
ORDER = (
    "id order_number organization_id facility_id provider_id patient_id sales_rep_id manufacturer_id"
    " created_by_user_id item_count total_amount created_at attention_reasons"
)
REP = "id user_id name email phone employee_id territory commission_rate parent_share_percent parent_rep_id"

# fmt: off
# The statuses an order went through, creation first; the 24 demo orders take one each, in
# turn (and so does order n at any scale: the 25th is the 1st's twin)
D, S, NA, PR, AP = "draft", "submitted", "needs_attention", "pending_admin_review", "approved"
SM, CF, SH, DL = "submitted_to_manufacturer", "confirmed", "shipped", "delivered"
RJ, CX = "rejected", "cancelled"
FULFILLED = (D, S, PR, AP, SM, CF, SH, DL)
PATHS: list[tuple[str, ...]] = [
    (D,), (D, S), (D, S, NA), (D, S, PR), FULFILLED[:5], FULFILLED[:6], FULFILLED[:7], FULFILLED[:8],
    FULFILLED, (D, S, PR, RJ), (D, CX), FULFILLED, (D, S, NA, S, PR), (D, S, NA), FULFILLED,
    FULFILLED[:7], (D,), (D, S, NA, S, PR, AP), (D, S, NA, RJ), FULFILLED, (D, S, PR, AP, CX),
    FULFILLED[:6], FULFILLED, (D, S, PR),
]
# Minutes from the previous move to this status: (at least, plus up to)
GAPS = {S: (120, 1440), NA: (1, 2), PR: (1, 2), AP: (240, 1560), RJ: (240, 1560), SM: (60, 300),
        CF: (360, 1440), SH: (1440, 2880), DL: (2880, 2880), CX: (60, 2880)}
REASONS = {RJ: ("Documentation does not support medical necessity", "Duplicate of an earlier order"),
           CX: ("The patient no longer needs the product", "Ordered at the wrong facility")}
CHECKS = ("orders.items_orderable", "orders.minimum_order_amount", "orders.lead_time",
          "orders.stock_available")
CARRIERS, SPEEDS = ("UPS", "FedEx", "USPS"), ("standard_2day", "standard_next", "early_next", "1st_am")
PAYERS = (("Medicare Part B", "medicare_advantage"), ("Blue Cross PPO", "ppo"), ("Aetna HMO", "hmo"))
# key: (name, territory, parent key, commission %, parent's share %); the first is the others' lead
REPS = {"lead": ("Morgan Reyes", "Midwest region", None, "10.00", None),
        "north": ("Dana Whitfield", "Chicago north", "lead", "8.00", "15.00"),
        "south": ("Priya Raman", "Springfield and south", "lead", "8.00", "15.00"),
        "west": ("Tomas Lindqvist", "Peoria and west", "lead", "7.50", "10.00")}
REP_OF_ORDER = (None, "north", "south", "west", "lead")  # by order number, in turn
# fmt: on
BY_MAKER: dict[str, list[Family]] = defaultdict(list)
for _family in FAMILIES:
    BY_MAKER[_family.maker].append(_family)
MAKER_KEYS = tuple(BY_MAKER)


def order_number(n: int) -> str:
    return f"ORD-{n:06d}"


def order_id(slug: str, n: int) -> uuid.UUID:
    """The id of demo order n (1, 2, …) of a tenant, for benchmarks and tests to find it by."""
    return catalog_id(slug, "order", order_number(n))


def order_count(scale: int) -> int:
    return BASE_ORDERS + (scale - 1) * ORDERS_PER_SCALE


def path_of(n: int) -> tuple[str, ...]:
    """The statuses order n went through, from draft to its status."""
    return PATHS[(n - 1) % len(PATHS)]


async def _put(conn: AsyncConnection, table: sa.Table, rows: list[Row]) -> None:
    """Insert, skipping rows that exist: one INSERT … SELECT FROM unnest(column arrays) per
    CHUNK rows (every row names the same columns). An array or JSON column travels as text."""
    if not rows:
        return
    names, kinds = list(rows[0]), [table.c[name].type for name in rows[0]]
    texts = [isinstance(kind, ARRAY | JSONB) for kind in kinds]  # these travel as text
    casts, selected, aliases = [], [], ", ".join(f"c{i}" for i in range(len(names)))
    for i, (kind, text) in enumerate(zip(kinds, texts, strict=True)):
        sql_type = kind.compile(dialect=postgresql.dialect())
        casts.append(f"CAST(:c{i} AS {'text' if text else sql_type}[])")
        selected.append(f"u.c{i}::{sql_type}" if text else f"u.c{i}")
    statement = sa.text(
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(selected)}"
        f" FROM unnest({', '.join(casts)}) AS u({aliases}) ON CONFLICT DO NOTHING"
    )
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        values = {
            f"c{i}": [_text(kind, r[n]) for r in chunk] if text else [r[n] for r in chunk]
            for i, (n, kind, text) in enumerate(zip(names, kinds, texts, strict=True))
        }
        await conn.execute(statement, values)


def _text(kind: Any, value: Any) -> Any:
    """An array (of text) as its literal, a JSON value as JSON text; other values as they are."""
    if value is None:
        return None
    if isinstance(kind, JSONB):
        return json.dumps(value)
    quoted = ('"' + str(x).replace("\\", "\\\\").replace('"', '\\"') + '"' for x in value)
    return "{" + ",".join(quoted) + "}"


def _row(t: Row, columns: str, *values: Any) -> Row:
    return {**t, **dict(zip(columns.split(), values, strict=True))}


def _hash(*parts: object) -> int:
    return zlib.crc32("/".join(map(str, parts)).encode())


def _maker(n: int) -> str:
    return MAKER_KEYS[_hash("order", n) % len(MAKER_KEYS)]


async def seed_orders(conn: AsyncConnection, tenant_id: uuid.UUID, slug: str, scale: int = 1) -> None:
    """Seed one tenant's demo orders; `conn` is in the tenant's context, the catalog seeded.

    Stock is left alone: an approved demo order reserves nothing and a shipped one takes
    nothing out of inventory (the demo's stock levels stay the sums of their movements)."""
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    t = {"tenant_id": tenant_id}
    parties, patients = await _parties(
        conn,
        [_id(slug, "assign", str(i)) for i in range(6)],
        [_id(slug, "patient", str(i)) for i in range(12)],
    )
    if not parties:
        return
    reps = await _sales_reps(conn, t, slug, _id(slug, "user", "sales_rep"))
    count = order_count(scale)
    c = o.orders.c
    taken = set((await conn.execute(sa.select(c.order_number).where(c.tenant_id == tenant_id))).scalars())
    plans = {n: _lines(n) for n in range(1, count + 1) if order_number(n) not in taken}
    products, sizes = await _catalog(conn, tenant_id, sorted({sku for p in plans.values() for sku, _ in p}))

    maker_of = {p["id"]: p["manufacturer_id"] for p in products.values()}
    seeder = _Seeder(t, slug, _id(slug, "user", "manager"))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for n, lines in plans.items():
        items = [i for j, line in enumerate(lines) if (i := seeder.item(n, j, products, sizes, line))]
        if not items:
            continue  # its products are not there (other products took their SKUs)
        _meet_minimum(items, Decimal(MAKERS[_maker(n)].minimum_order))
        provider_id, facility_id, organization_id = parties[n % len(parties)]
        at_facility = [p for p, f in patients if f == facility_id]
        patient = at_facility[n // len(parties) % len(at_facility)] if at_facility else None
        rep = REP_OF_ORDER[n % len(REP_OF_ORDER)]
        created = now - SETTLED - (count - n) * SPACING
        total = sum((i["quantity"] * i["unit_price"] for i in items), Decimal(0))
        parts = (organization_id, facility_id, provider_id, patient, reps.get(rep) if rep else None)
        order = _row(t, ORDER, order_id(slug, n), order_number(n), *parts, maker_of[items[0]["product_id"]],
                     seeder.actor, len(items), total, created, [])  # fmt: skip
        # one statement inserts them all: every row names every column
        order = dict.fromkeys(OPTIONAL) | order | _details(n, created, items)
        for item in items:
            item["created_at"] = item["updated_at"] = created
        seeder.rows["order_items"] += items
        seeder.walk(n, order)
        seeder.rows["orders"].append(order)

    for table in (o.orders, o.order_items, o.order_status_history, o.order_checks, o.shipments):
        await _put(conn, table, seeder.rows[table.name])
    counter = insert(o.order_numbers).values(tenant_id=tenant_id, last_number=count)  # at least the highest
    keep = {"last_number": sa.func.greatest(o.order_numbers.c.last_number, counter.excluded.last_number)}
    await conn.execute(counter.on_conflict_do_update(index_elements=["tenant_id"], set_=keep))
    if len(seeder.rows["orders"]) >= ANALYZE_AFTER:  # else autovacuum analyzes later, maybe mid-benchmark
        for name in ANALYZED:
            await conn.execute(sa.text(f"ANALYZE {name}"))


async def _parties(conn: AsyncConnection, assignments: list[uuid.UUID], patients: list[uuid.UUID]) -> tuple:
    """(provider, facility, organization) of each demo provider's assignment, in order; and
    (patient, facility) of each demo patient."""
    found = await conn.execute(
        sa.text(
            "SELECT a.id, a.provider_id, a.facility_id, f.organization_id FROM provider_assignments a"
            " JOIN facilities f ON f.tenant_id = a.tenant_id AND f.id = a.facility_id WHERE a.id = ANY(:ids)"
        ),
        {"ids": assignments},
    )
    parties = {row[0]: tuple(row[1:]) for row in found}
    query = sa.text("SELECT id, facility_id FROM patients WHERE id = ANY(:ids)")
    registered: dict[Any, Any] = dict((await conn.execute(query, {"ids": patients})).all())
    return [parties[a] for a in assignments if a in parties], [
        (p, registered[p]) for p in patients if p in registered
    ]


async def _sales_reps(conn: AsyncConnection, t: Row, slug: str, rep_user: uuid.UUID) -> dict[str, uuid.UUID]:
    """The demo reps (the lead first: the others report to it); the ids of those there."""
    rows = []
    for i, (key, (name, territory, parent, rate, share)) in enumerate(REPS.items()):
        user = rep_user if key == "north" else None  # the demo sales_rep user is a rep too
        contact = (name, f"{name.split()[0].lower()}.rep@{slug}.test", f"+1-555-02{i:02d}", f"SR-{101 + i}")
        terms = (
            territory,
            Decimal(rate),
            share and Decimal(share),
            parent and catalog_id(slug, "sales-rep", parent),
        )
        rows.append(_row(t, REP, catalog_id(slug, "sales-rep", key), user, *contact, *terms))
    await _put(conn, o.sales_reps, rows)
    ids = {catalog_id(slug, "sales-rep", key): key for key in REPS}
    there = await conn.execute(sa.select(o.sales_reps.c.id).where(o.sales_reps.c.id.in_(list(ids))))
    return {ids[row[0]]: row[0] for row in there}


def _lines(n: int) -> list[tuple[str, int]]:
    """(SKU, hash) of each item of order n: one to four products of one manufacturer; from
    the scale that brings order n, variants of that scale too."""
    h = _hash("order", n)
    families = BY_MAKER[_maker(n)]
    tier = 1 if n <= BASE_ORDERS else 2 + (n - BASE_ORDERS - 1) // ORDERS_PER_SCALE
    variants = (tier - 1) * VARIANTS_PER_SCALE + 1
    start, lines = (h >> 4) % len(families), []
    for j in range(min(1 + (h >> 8) % 4, len(families))):
        hj = _hash("item", n, j)
        lines.append((f"{families[(start + j) % len(families)].stem}-{hj % variants:04d}", hj))
    return lines


async def _catalog(conn: AsyncConnection, tenant_id: uuid.UUID, skus: list[str]) -> tuple[dict, dict]:
    """The products the orders name (by SKU), and their sizes (by product, in order)."""
    found = await conn.execute(
        sa.text(
            "SELECT sku, id, manufacturer_id, name, code, code_type, national_asp, price_per_cm2"
            " FROM products WHERE tenant_id = :t AND sku = ANY(:skus)"
        ),
        {"t": tenant_id, "skus": skus},
    )
    products = {row.sku: row._asdict() for row in found}
    sizes: dict[uuid.UUID, list[Row]] = defaultdict(list)
    for row in await conn.execute(
        sa.text(
            "SELECT product_id, id, label, area_cm2 FROM product_sizes WHERE tenant_id = :t"
            " AND product_id = ANY(:ids) ORDER BY product_id, position, id"
        ),
        {"t": tenant_id, "ids": [p["id"] for p in products.values()]},
    ):
        sizes[row.product_id].append(row._asdict())
    return products, sizes


def _meet_minimum(items: list[Row], least: Decimal) -> None:
    """More of the first item until the order reaches the manufacturer's minimum amount
    (so its `orders.minimum_order_amount` check passes)."""
    total = sum((i["quantity"] * i["unit_price"] for i in items), Decimal(0))
    first = items[0]
    if total < least and first["unit_price"] > 0:
        first["quantity"] += int(-(-(least - total) // first["unit_price"]))


def _details(n: int, created: dt.datetime, items: list[Row]) -> Row:
    """What the provider filled in: delivery, wound (for a sized product) and payer details."""
    h = _hash("details", n)
    payer, plan = PAYERS[h % len(PAYERS)]
    details: Row = {
        "type": "rush" if h % 11 == 0 else "standard",
        "request_type": "reverification" if h % 7 == 0 else "new_request",
        "service_date": (created + dt.timedelta(days=10)).date(),
        "requested_delivery_date": (created + dt.timedelta(days=14)).date(),
        "shipping_speed": SPEEDS[(h >> 4) % len(SPEEDS)],
        "place_of_service": "11",
        "payer_name": payer,
        "plan_type": plan,
        "network_status": "in_network",
        "metadata": {"demo": True},
    }
    if any(i["size_label"] and i["size_label"][0].isdigit() for i in items):
        length, width = Decimal(20 + (h >> 8) % 40) / 10, Decimal(15 + (h >> 12) % 25) / 10
        details |= dict(zip(WOUND, (length, width, Decimal("0.30")), strict=True))
    return details


class _Seeder:
    """The rows of one tenant's new orders, by table, as the workflow would have left them."""

    def __init__(self, t: Row, slug: str, actor: uuid.UUID):
        self.t, self.slug, self.actor = t, slug, actor
        self.rows: dict[str, list[Row]] = defaultdict(list)

    def id(self, kind: str, n: int, *parts: str) -> uuid.UUID:
        return catalog_id(self.slug, kind, order_number(n), *parts)

    def item(self, n: int, j: int, products: dict, sizes: dict, line: tuple[str, int]) -> Row | None:
        sku, h = line
        product = products.get(sku)
        if product is None:
            return None
        options = sizes.get(product["id"], [])
        size = options[(h >> 8) % len(options)] if options else None
        sized = product["price_per_cm2"] is not None
        if size is not None and size["area_cm2"] is not None and sized:
            price = (product["price_per_cm2"] * size["area_cm2"]).quantize(CENT)  # as items.unit_price
        else:
            price = product["national_asp"] or Decimal("0.00")
        quantity = 1 + (h >> 16) % (4 if sized else 10)
        row = (product["id"], size and size["id"], quantity, price, product["name"], product["code"])
        label = size and size["label"]
        return _row(self.t, ITEM, self.id("order-item", n, str(j)), order_id(self.slug, n), *row,
                    product["code_type"], label, j)  # fmt: skip

    def walk(self, n: int, order: Row) -> None:
        """Move order n along its path: history rows, checks, its shipment, and the order's
        status columns (status, version, stamps, reasons) as the last move left them."""
        path, when, previous, reason, rounds = path_of(n), order["created_at"], None, None, 0
        for i, status in enumerate(path):
            if i:
                least, spread = GAPS[status]
                when += dt.timedelta(minutes=least + _hash("gap", n, i) % spread)
            reason = None
            if status == S:
                rounds += 1
                order["attention_reasons"] = []
                order["requested_delivery_date"] = (order["created_at"] + dt.timedelta(days=14)).date()
            elif status in (NA, PR):
                reason = self.checks(n, order, rounds, when, failed=status == NA)
            elif status in REASONS:
                reason = REASONS[status][_hash("reason", n) % 2]
            if (stamp := STAMPS.get(status)) is not None:
                order[stamp] = when
            if status in (AP, RJ):
                order["reviewed_by_user_id"] = self.actor
            if status in (DL, RJ):
                order["closed_at"] = when
            if status == DL:
                order["actual_delivery_date"] = when.date()
            history = (previous, status, reason, self.actor, when)
            self.rows["order_status_history"].append(
                _row(self.t, HISTORY, self.id("order-history", n, str(i)), order["id"], *history)
            )
            previous = status
        order |= {"status": path[-1], "version": len(path), "status_reason": reason, "updated_at": when}
        if path[-1] in (SH, DL):
            h = _hash("shipment", n)
            shipped = order["shipped_at"]
            carrier, tracking = CARRIERS[h % len(CARRIERS)], f"1Z{h % 10**10:010d}{n:06d}"
            shipment = (carrier, tracking, shipped, order.get("delivered_at"), self.actor, shipped, when)
            self.rows["shipments"].append(
                _row(self.t, SHIPMENT, self.id("shipment", n), order["id"], *shipment)
            )

    def checks(self, n: int, order: Row, round: int, when: dt.datetime, failed: bool) -> str | None:
        """One round of submission checks; a failed round fails the manufacturer's lead time
        (delivery was asked for the day after submission). Returns the move's reason."""
        reasons: list[str] = []
        if failed:
            submitted, days = order["submitted_at"].date(), MAKERS[_maker(n)].lead_days
            asked, earliest = submitted + dt.timedelta(days=1), submitted + dt.timedelta(days=days)
            reasons = [
                f"Delivery requested for {asked.isoformat()}; the manufacturer needs {days} day(s), "
                f"so {earliest.isoformat()} at the earliest"
            ]
            order["requested_delivery_date"] = asked
        for position, key in enumerate(CHECKS):
            fails = failed and key == "orders.lead_time"
            outcome = ("fail", reasons) if fails else ("pass", [])
            check = (order["id"], round, key, *outcome, round * 1000 + position, when)
            self.rows["order_checks"].append(
                _row(self.t, CHECK, self.id("order-check", n, str(round), key), *check)
            )
        order["attention_reasons"] = reasons
        return "; ".join(reasons) if failed else None
