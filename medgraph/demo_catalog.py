"""Demo catalog: manufacturers with their settings and contacts, the category tree,
specialties, products with sizes, two inventory locations, and stock levels made of
movements. Part of the demo seed (medgraph/demo.py): idempotent (IDs derived from names,
inserts skip rows that exist), run as the database owner inside the tenant's context.

`scale` multiplies the catalog for benchmarks: each product family gains
(scale - 1) * VARIANTS_PER_SCALE size and pack variants, about 10,000 products at scale 10.
A larger scale only adds: a smaller scale's variants are the first of a larger one's.
Billing codes are real in format only; product names, makers and NDC labelers are invented.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from modules.products import models as p
from modules.tenancy import models as tenancy

NAMESPACE = uuid.UUID("0b8e4a52-2f4e-4f0c-8d55-7f1a3c6e9b21")
VARIANTS_PER_SCALE = 29
CHUNK = 5000  # rows per executemany call: bounds one batch's memory at large scales
ANALYZE_AFTER = 1000  # new products; ANALYZE counts the rows its own transaction inserted
ANALYZED = ("products", "product_sizes", "product_specialties", "inventory_levels", "stock_movements")
CENT = Decimal("0.01")
Row = dict[str, Any]
Ids = Callable[..., uuid.UUID]
# Columns of the rows built positionally by _row (which adds the tenant's id)
CONTACT = "id manufacturer_id purpose primary_recipients cc_recipients notes"
CATEGORY = "id name parent_id type description"
LOCATION = "id name type facility_id"
SIZE = "id product_id label position width_cm length_cm area_cm2"
LINK = "id product_id specialty_id is_primary"
LEVEL = "id product_id location_id on_hand allocated reorder_point reorder_quantity last_counted_at"
MOVE = (
    "level_id product_id location_id id kind on_hand_change allocated_change on_hand_after allocated_after"
    " reason reference created_at"
)


def catalog_id(slug: str, *parts: str) -> uuid.UUID:
    """The id of a demo catalog row, for benchmarks and tests to find it by, e.g.
    catalog_id(slug, "category", "Wound care") or catalog_id(slug, "product", sku)."""
    return uuid.uuid5(NAMESPACE, "/".join((slug, *parts)))


class Maker(NamedTuple):
    name: str
    type: str
    domain: str
    submission: str
    minimum_order: str
    lead_days: int
    verification: tuple[str, str] | None = None  # (type, frequency): the skin-substitute makers


class Family(NamedTuple):
    """A base product; with scale > 1, also its options in other packs (its variants)."""

    stem: str  # unique: a family's SKUs are stem-0000 (the base product), stem-0001, …
    maker: str
    category: str
    type: str
    code: str
    code_type: str
    specialties: tuple[str, ...]  # the first is the primary one
    price: str  # per cm² for skin substitutes, else per unit
    options: tuple[str, ...]  # sizes (labels of SIZES) or other variant options
    name: str
    graph_type: str | None = None
    commission: str = "8.00"


def _skin(code: str, maker: str, price: str, graph: str, name: str) -> Family:
    specialties = ("wound_care", "podiatry", "vascular")
    kind = ("Skin substitutes", "biologic", code, "hcpcs", specialties, price, SKIN, name, graph, "12.50")
    return Family(f"SS-{code}", maker, *kind)


def _dressing(stem: str, category: str, code: str, *rest: Any) -> Family:
    """rest: specialties, price, options, name."""
    code_type = "upn" if code.isdigit() else "hcpcs"
    return Family(f"DR-{stem}", "fernbrook", category, "supply", code, code_type, *rest)


def _dme(code: str, category: str, kind: str, *rest: Any) -> Family:
    return Family(f"DM-{code}", "granite", category, kind, code, "hcpcs", *rest)


def _drug(stem: str, ndc: str, price: str, name: str) -> Family:
    rx = "Topical antibiotics"
    return Family(f"RX-{stem}", "larkspur", rx, "drug", ndc, "ndc", DERM, price, TUBE, name)


# fmt: off
MAKERS = {
    "tidewater": Maker("Tidewater Biologics", "manufacturer", "tidewater-bio.example", "portal", "500.00", 2,
                       ("insurance", "per_order")),
    "alder": Maker("Alder Regenerative Tissue", "manufacturer", "alder-regen.example", "email", "750.00", 3,
                   ("prior_auth", "quarterly")),
    "fernbrook": Maker("Fernbrook Wound Supply", "manufacturer", "fernbrook.example", "edi", "150.00", 5),
    "granite": Maker("Granite Mobility Products", "distributor", "granite.example", "email", "250.00", 7),
    "larkspur": Maker("Larkspur Pharmaceuticals", "pharmacy", "larkspur-rx.example", "fax", "100.00", 2),
}
NOTES = {
    "order": "Purchase orders received before 14:00 ET ship the same day",
    "verification": "Send benefit verifications with the wound measurements attached",
    "support": "Product questions, samples and returns",
}
CATEGORIES = [  # (name, parent, type, description), parents first; products repeat their category's text
    ("Wound care", None, "wound_care", "Products that treat and protect chronic and acute wounds"),
    ("DME", None, "dme", "Durable medical equipment"),
    ("Pharmaceuticals", None, "pharmaceutical", "Prescription drugs dispensed for wound treatment"),
    ("Skin substitutes", "Wound care", "wound_care", "Cellular and tissue-based skin substitute for diabetic "
     "foot and venous leg ulcers; sterile, single use, applied to a clean, debrided wound bed"),
    ("Dressings", "Wound care", "wound_care", "Primary or secondary dressing for chronic and acute wounds"),
    ("Offloading", "DME", "dme", "Redistributes pressure to offload diabetic foot ulcers and pressure sores"),
    ("Compression", "DME", "dme", "Graduated compression therapy for venous leg ulcers and lymphedema"),
    ("Topical antibiotics", "Pharmaceuticals", "pharmaceutical", "Antibacterial ointment, cream or gel "
     "for infected wounds; prescription only"),
    ("Foam dressings", "Dressings", "wound_care", "Absorbent polyurethane foam for moderate to heavy "
     "exudate, conformable, with atraumatic removal"),
    ("Alginate dressings", "Dressings", "wound_care", "Calcium alginate fibers that gel on contact with "
     "exudate, for cavities and heavily exuding wounds"),
]
SPECIALTIES = {"wound_care": "Wound care", "vascular": "Vascular surgery", "podiatry": "Podiatry",
               "dermatology": "Dermatology"}
# label: (width cm, length cm, area cm²); a disc's width and length are its diameter
SIZES = {"1.5 cm disc": ("1.5", "1.5", "1.77"), "2x2 cm": ("2", "2", "4"), "2x3 cm": ("2", "3", "6"),
         "4x4 cm": ("4", "4", "16"), "4x6 cm": ("4", "6", "24"), "5x5 cm": ("5", "5", "25"),
         "10x10 cm": ("10", "10", "100"), "15x15 cm": ("15", "15", "225"), "10x20 cm": ("10", "20", "200"),
         "2x30 cm rope": ("2", "30", "60")}
PACKS = (("each", 1), ("box of 5", 5), ("box of 10", 10), ("case of 20", 20), ("case of 50", 50))
SKIN = ("1.5 cm disc", "2x2 cm", "2x3 cm", "4x4 cm", "4x6 cm")
PAD = ("5x5 cm", "10x10 cm", "15x15 cm", "10x20 cm")
FIT, TUBE, ONE = ("small", "medium", "large", "x-large"), ("15 g tube", "30 g tube", "60 g jar"), ("single",)
WOUND, FOOT, VEIN = ("wound_care",), ("podiatry", "wound_care"), ("vascular",)
DERM = ("dermatology", "wound_care")
FOAM, ALGINATE, DRESSING = "Foam dressings", "Alginate dressings", "Dressings"
OFFLOAD, COMPRESS = "Offloading", "Compression"
FAMILIES = [
    _skin("Q4101", "alder", "112.40", "bilayer living cell", "Bilayer Living Cell Construct on Collagen"),
    _skin("Q4186", "tidewater", "87.65", "dehydrated amniotic", "Dehydrated Amniotic Membrane Allograft"),
    _skin("Q4151", "tidewater", "134.20", "amnion chorion", "Amnion Chorion Dual-Layer Membrane Graft"),
    _skin("Q4159", "alder", "41.90", "collagen scaffold", "Collagen Glycosaminoglycan Dermal Template"),
    _skin("Q4160", "tidewater", "165.00", "umbilical cord", "Umbilical Cord Tissue Matrix, Suturable"),
    _skin("Q4195", "alder", "22.15", "porcine xenograft", "Porcine Intestinal Submucosa Collagen Sheet"),
    _skin("Q4196", "alder", "58.30", "acellular dermis", "Meshed Acellular Human Dermal Matrix"),
    _skin("Q4205", "tidewater", "95.40", "micronized amniotic", "Micronized Amniotic Membrane Disc"),
    _skin("Q4232", "tidewater", "31.75", "fish skin xenograft", "Marine Collagen Skin Graft, Omega-3 Rich"),
    _skin("Q4271", "alder", "48.80", "collagen", "Antimicrobial Collagen Wound Matrix with Ionic Silver"),
    _dressing("A6209", FOAM, "A6209", WOUND, "6.40", PAD, "Silicone Foam Dressing, Non-Bordered"),
    _dressing("A6209AG", FOAM, "A6209", WOUND, "11.85", PAD, "Silver Antimicrobial Foam Dressing"),
    _dressing("A6212", FOAM, "A6212", WOUND, "8.90", PAD, "Bordered Silicone Foam Dressing, Film Backed"),
    _dressing("A6210", FOAM, "A6210", FOOT, "14.20", ("10x20 cm",), "Contoured Heel Foam Dressing, Bordered"),
    _dressing("A6196", ALGINATE, "A6196", WOUND, "4.75", PAD, "Calcium Alginate Dressing"),
    _dressing("A6196AG", ALGINATE, "A6196", WOUND, "9.60", PAD, "Silver Alginate Antimicrobial Dressing"),
    _dressing("A6199", ALGINATE, "A6199", WOUND, "7.30", ("2x30 cm rope",), "Alginate Packing Rope"),
    _dressing("A6234", DRESSING, "A6234", DERM, "3.95", PAD, "Thin Hydrocolloid Dressing"),
    _dressing("A6021", DRESSING, "A6021", WOUND, "18.40", PAD, "Bovine Collagen Wound Dressing Pad"),
    _dressing("A6203", DRESSING, "A6203", WOUND, "2.10", PAD, "Composite Bordered Gauze Island Dressing"),
    _dressing("A6257", DRESSING, "A6257", DERM, "1.35", PAD, "Transparent Waterproof Film Dressing"),
    _dressing("A6242", DRESSING, "A6242", DERM, "5.60", PAD, "Hydrogel Sheet Dressing"),
    _dressing("UPN01", DRESSING, "00812345670012", WOUND, "0.85", PAD, "Sterile Cotton Gauze Sponges"),
    _dressing("UPN02", DRESSING, "00812345670029", WOUND, "0.40", ONE, "Wound Measuring Guide with Probe"),
    _dressing("UPN03", DRESSING, "0812345670036", DERM, "0.95", ONE, "No-Sting Skin Barrier Film Wipes"),
    _dme("E0197", OFFLOAD, "equipment", WOUND, "189.00", ONE, "Alternating Air Pressure Pad Overlay"),
    _dme("E0181", OFFLOAD, "equipment", WOUND, "412.50", ONE, "Powered Low-Air-Loss Mattress Overlay"),
    _dme("L4361", OFFLOAD, "device", FOOT, "142.00", FIT, "Pneumatic Walking Boot, Prefabricated"),
    _dme("L4387", OFFLOAD, "device", FOOT, "96.00", FIT, "Non-Pneumatic Rocker-Sole Walking Boot"),
    _dme("L3260", OFFLOAD, "device", FOOT, "38.50", FIT, "Post-Operative Surgical Shoe"),
    _dme("E0651", COMPRESS, "equipment", VEIN, "865.00", ONE, "Segmental Pneumatic Compression Pump"),
    _dme("A6531", COMPRESS, "supply", VEIN, "64.00", FIT, "Gradient Compression Stocking, 30-40 mmHg"),
    _dme("A6545", COMPRESS, "supply", VEIN, "118.00", FIT, "Adjustable Non-Elastic Compression Wrap"),
    _drug("MUP", "70512-131-22", "14.80", "Mupirocin Ointment 2%"),
    _drug("SSD", "7051-0411-50", "22.30", "Silver Sulfadiazine Cream 1%"),
    _drug("BAC", "70512-2207-1", "6.20", "Bacitracin Zinc Ointment"),
    _drug("GEN", "70512-3310-15", "27.90", "Gentamicin Sulfate Cream 0.1%"),
    _drug("MET", "70512045230", "31.40", "Metronidazole Gel 0.75%"),
]
# fmt: on
BLURBS = {name: text for name, _, _, text in CATEGORIES}


async def _put(conn: AsyncConnection, table: sa.Table, rows: list[Row]) -> None:
    """Insert, skipping rows that exist; many rows go as executemany batches."""
    for start in range(0, len(rows), CHUNK):
        await conn.execute(insert(table).on_conflict_do_nothing(), rows[start : start + CHUNK])


def _row(t: Row, columns: str, *values: Any) -> Row:
    return {**t, **dict(zip(columns.split(), values, strict=True))}


async def seed_catalog(conn: AsyncConnection, tenant_id: uuid.UUID, slug: str, scale: int = 1) -> None:
    """Seed one tenant's demo catalog; `conn` is in the tenant's context."""
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    t = {"tenant_id": tenant_id}

    def cid(*parts: str) -> uuid.UUID:
        return catalog_id(slug, *parts)

    await _put(conn, p.manufacturers, [_maker(t, cid, key, mk) for key, mk in MAKERS.items()])
    await _put(conn, p.manufacturer_settings, [_settings(t, cid, key, mk) for key, mk in MAKERS.items()])
    contacts = [row for key, mk in MAKERS.items() for row in _contacts(t, cid, key, mk)]
    await _put(conn, p.manufacturer_contacts, contacts)
    # executemany inserts row after row, so the path trigger finds each parent inserted before its child
    await _put(conn, p.product_categories, [_category(t, cid, *c) for c in CATEGORIES])
    specialties = [_row(t, "id code name", cid("specialty", c), c, n) for c, n in SPECIALTIES.items()]
    await _put(conn, p.specialties, specialties)

    variants = range((scale - 1) * VARIANTS_PER_SCALE + 1)
    products = [(f, v, _product(t, cid, f, v)) for f in FAMILIES for v in variants]
    # Products already there are left out: a re-run skips their search-document triggers,
    # and a SKU taken by a product of another id keeps that product and none of ours.
    c = p.products.c
    taken = dict((await conn.execute(sa.select(c.sku, c.id).where(c.tenant_id == tenant_id))).all())
    new = [r for _, _, r in products if r["sku"] not in taken]
    await _put(conn, p.products, new)
    ours = [(f, v, r) for f, v, r in products if taken.get(r["sku"], r["id"]) == r["id"]]
    await _put(conn, p.product_sizes, [s for f, v, r in ours for s in _sizes(t, cid, f, v, r)])
    await _put(conn, p.product_specialties, [s for f, v, r in ours for s in _links(t, cid, f, v, r)])

    fc = tenancy.facilities.c
    live = sa.select(fc.id, fc.name).where(fc.tenant_id == tenant_id, fc.deactivated_at.is_(None))
    clinic = (await conn.execute(live.order_by(fc.name, fc.id).limit(1))).first()
    locations = [_row(t, LOCATION, cid("location", "warehouse"), "Central Warehouse", "warehouse", None)]
    if clinic is not None:
        consignment = (cid("location", "consignment"), f"Consignment at {clinic.name}", "consignment")
        locations.append(_row(t, LOCATION, *consignment, clinic.id))
    await _put(conn, p.inventory_locations, locations)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    levels, movements = [], []
    for f, v, r in ours:
        for key in _stocked_at(f, v, consignment=clinic is not None):
            level, moves = _stock(t, cid, r, key, now)
            levels.append(level)
            movements += moves
    await _put(conn, p.inventory_levels, levels)
    await _put(conn, p.stock_movements, movements)
    if len(new) >= ANALYZE_AFTER:  # else autovacuum analyzes later, maybe in the middle of a benchmark
        for name in ANALYZED:
            await conn.execute(sa.text(f"ANALYZE {name}"))


def _maker(t: Row, cid: Ids, key: str, mk: Maker) -> Row:
    phone, site = f"+1-555-01{zlib.crc32(key.encode()) % 100:02d}", f"https://www.{mk.domain}"
    row = _row(t, "id name type phone website", cid(key), mk.name, mk.type, phone, site)
    return row | {"email": f"orders@{mk.domain}", "contact_info": {"hours": "Mon-Fri 8:00-18:00 ET"}}


def _settings(t: Row, cid: Ids, key: str, mk: Maker) -> Row:
    checks = mk.verification
    return {
        **t,
        "id": cid(key),
        "submission_method": mk.submission,
        "submission_config": {"portal": f"https://portal.{mk.domain}"} if mk.submission == "portal" else {},
        "primary_contacts": [f"orders@{mk.domain}"],
        "cc_contacts": [f"customer.service@{mk.domain}"],
        "verification_required": checks is not None,
        "verification_type": checks[0] if checks else None,
        "verification_frequency": checks[1] if checks else None,
        "verification_documents": ["insurance card", "face sheet", "wound measurements"] if checks else [],
        "onboarding_documents": ["W-9", "credit application", "business associate agreement"],
        "requires_owner_signature": checks is not None,
        "minimum_order_amount": Decimal(mk.minimum_order),
        "lead_time_days": mk.lead_days,
    }


def _contacts(t: Row, cid: Ids, key: str, mk: Maker) -> list[Row]:
    purposes = ["order", "support"] + (["verification"] if mk.verification else [])
    cc = [f"account.manager@{mk.domain}"]
    rows = [(cid("contact", key, x), cid(key), x, [f"{x}@{mk.domain}"], cc, NOTES[x]) for x in purposes]
    return [_row(t, CONTACT, *row) for row in rows]


def _category(t: Row, cid: Ids, name: str, parent: str | None, kind: str, text: str) -> Row:
    return _row(t, CATEGORY, cid("category", name), name, parent and cid("category", parent), kind, text)


def _variant(f: Family, v: int) -> tuple[str, str, int, int]:
    """(option, pack, pack size, series) of variant v; variant 0 is the family's base product."""
    option = f.options[v % len(f.options)]
    pack, count = PACKS[(v // len(f.options)) % len(PACKS)]
    return option, pack, count, v // (len(f.options) * len(PACKS))


def _product(t: Row, cid: Ids, f: Family, v: int) -> Row:
    sku = f"{f.stem}-{v:04d}"
    option, pack, count, series = _variant(f, v)
    sized, price = f.type == "biologic", Decimal(f.price)
    unit = price * Decimal(SIZES[option][2]) if sized else price
    graft = f" {f.graph_type.capitalize()} graft." if f.graph_type else ""
    name, description = f.name, f"{f.name}.{graft} {BLURBS[f.category]}."
    if v:
        name = f"{f.name}, {option}, {pack}" + (f" (series {series + 1})" if series else "")
        description += f" Supplied as {option}, {pack}."
    return {
        **t,
        "id": cid("product", sku),
        "manufacturer_id": cid(f.maker),
        "category_id": cid("category", f.category),
        "name": name,
        "sku": sku,
        "code": f.code,
        "code_type": f.code_type,
        "type": f.type,
        "description": description,
        "specifications": {"options": list(f.options)} if v == 0 else {"option": option, "pack": pack},
        "pricing": {"unit": "cm2" if sized else "each", "pack_size": count},
        "national_asp": (unit * count).quantize(CENT),
        "price_per_cm2": price if sized else None,
        "commission_rate": Decimal(f.commission),
        "graph_type": f.graph_type,
        "requires_prescription": f.type == "drug",
        "requires_verification": sized,
        "metadata": {"demo": True, "family": f.stem, "variant": v},
    }


def _sizes(t: Row, cid: Ids, f: Family, v: int, r: Row) -> list[Row]:
    labels = [label for label in f.options if label in SIZES]
    if v and labels:
        labels = [_variant(f, v)[0]]  # a variant is one size of its family
    return [
        _row(t, SIZE, cid("size", r["sku"], label), r["id"], label, i, *map(Decimal, SIZES[label]))
        for i, label in enumerate(labels)
    ]


def _links(t: Row, cid: Ids, f: Family, v: int, r: Row) -> list[Row]:
    codes = f.specialties if v == 0 else f.specialties[:1]
    return [
        _row(t, LINK, cid("product-specialty", r["sku"], code), r["id"], cid("specialty", code), i == 0)
        for i, code in enumerate(codes)
    ]


def _stocked_at(f: Family, v: int, consignment: bool) -> list[str]:
    """Most base products and a third of the variants at the warehouse; the first sizes of
    skin substitutes and dressings also on consignment at a clinic."""
    keys = ["warehouse"] if (v == 0 and zlib.crc32(f.stem.encode()) % 9) or (v and v % 3 == 0) else []
    if consignment and v < 2 and f.category in ("Skin substitutes", "Foam dressings", "Alginate dressings"):
        keys.append("consignment")
    return keys


def _stock(t: Row, cid: Ids, r: Row, key: str, now: dt.datetime) -> tuple[Row, list[Row]]:
    """A level and the movements it is made of: the stock received, then part of it reserved."""
    n = zlib.crc32(f"{r['sku']}/{key}".encode())
    reorder = 5 + n % 16 if key == "warehouse" else 2 + n % 4
    on_hand = n % reorder if n % 7 == 0 else reorder + 10 + n % 90  # one in seven runs low
    allocated = min(on_hand, 1 + n % 6) if n % 3 == 1 else 0
    level_id, location_id = cid("level", r["sku"], key), cid("location", key)
    received, reserved = now - dt.timedelta(days=30 + n % 30), now - dt.timedelta(days=1 + n % 25)
    level = _row(t, LEVEL, level_id, r["id"], location_id, on_hand, allocated, reorder, reorder * 3, received)
    moves = []
    if on_hand:
        moves.append(("receipt", on_hand, 0, on_hand, 0, "Opening stock", "demo-opening", received))
    if allocated:
        reason = "Reserved for open orders"
        moves.append(("reservation", 0, allocated, on_hand, allocated, reason, "demo-reserved", reserved))
    ids = (level_id, r["id"], location_id)
    return level, [_row(t, MOVE, *ids, cid("movement", r["sku"], key, m[0]), *m) for m in moves]
