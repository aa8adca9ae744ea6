"""Products, their sizes and their specialties."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor, write_audit
from app.errors import Problems, raise_not_found
from app.events import emit
from app.validators import Check
from app.writes import active_row, deactivate_row, delete_row, existing_row, insert_row, lock_row, update_row
from modules.products import models as m
from modules.products.events import PRODUCT_CREATED, PRODUCT_DEACTIVATED, PRODUCT_UPDATED
from modules.products.service.checks import (
    URL,
    check_code,
    check_money,
    check_urls,
)

PRODUCT_UNIQUE = {"products_tenant_id_sku_key": "input.sku"}
LINK_UNIQUE = {
    "product_specialties_tenant_id_product_id_specialty_id_key": "specialtyId",
    "product_specialties_one_primary": "input.isPrimary",
}
MAX_SIZES = 50
_JSON = ("specifications", "pricing", "metadata")


def _check_product(values: dict[str, Any], creating: bool, current: Any | None) -> None:
    problems = Problems()
    check = Check(problems)
    not_null = ("name", "sku", "type", *_JSON, "document_urls", "requires_prescription")
    check.present(values, (*not_null, "requires_verification", "is_active"), ("name", "sku"), creating)
    check.text("name", values.get("name"))
    check.text("sku", values.get("sku"), max_len=100)
    check.text("description", values.get("description"), max_len=10_000)
    check.text("graph_type", values.get("graph_type"), max_len=100)
    for name in _JSON:
        check.json_object(name, values.get(name))
    check_money(check, "national_asp", values.get("national_asp"))
    check_money(check, "price_per_cm2", values.get("price_per_cm2"), places=4)
    check.percent("commission_rate", values.get("commission_rate"))
    check.pattern("image_url", values.get("image_url"), URL, "http(s) URL")
    check_urls(check, "document_urls", values.get("document_urls"))
    if "code" in values or "code_type" in values:  # checked as the pair they will be
        code = values.get("code", current.code if current is not None else None)
        code_type = values.get("code_type", current.code_type if current is not None else None)
        check_code(problems, code, code_type)
    _check_sizes(check, values.get("sizes"))
    problems.raise_if_any()


def _check_sizes(check: Check, sizes: list[dict[str, Any]] | None) -> None:
    """Each size as its columns store it: a label once, dimensions NUMERIC(8,2) and an area
    NUMERIC(10,2), all more than zero, the area width × length unless given."""
    if sizes is None:
        return
    if len(sizes) > MAX_SIZES:
        check.problems.add("input.sizes", "TOO_LONG", f"At most {MAX_SIZES} sizes")
    labels = set()
    for i, size in enumerate(sizes):
        label = (size.get("label") or "").strip()
        check.text(f"sizes.{i}.label", size.get("label"), required=True, max_len=100)
        if label in labels:
            check.problems.add(f"input.sizes.{i}.label", "DUPLICATE", "Two sizes with this label")
        labels.add(label)
        for name in ("width_cm", "length_cm"):
            check.decimal(f"sizes.{i}.{name}", size.get(name), digits=8, places=2, positive=True)
        before = len(check.problems.items)
        check.decimal(f"sizes.{i}.area_cm2", size.get("area_cm2"), digits=10, places=2, positive=True)
        if len(check.problems.items) == before and size.get("area_cm2") is None:
            area = _area(size) if _measured(size) else None
            check.decimal(f"sizes.{i}.area_cm2", area, digits=10, places=2, positive=True)


def _measured(size: dict[str, Any]) -> bool:
    values = [size.get("width_cm"), size.get("length_cm")]
    return all(v is not None and v.is_finite() and 0 < v < 10**6 for v in values)


def _area(size: dict[str, Any]) -> Decimal | None:
    """A size's area: as given, or width × length."""
    if size.get("area_cm2") is not None:
        return size["area_cm2"]  # type: ignore[no-any-return]
    width, length = size.get("width_cm"), size.get("length_cm")
    return (width * length).quantize(Decimal("0.01")) if width is not None and length is not None else None


async def _references(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """The manufacturer and category named exist, are visible and are active."""
    for key, table, what in (
        ("manufacturer_id", m.manufacturers, "manufacturer"),
        ("category_id", m.product_categories, "category"),
    ):
        if values.get(key) is not None:
            field = "manufacturerId" if key == "manufacturer_id" else "categoryId"
            await active_row(conn, table, values[key], field, what)


async def _replace_sizes(
    conn: AsyncConnection, actor: Actor, product_id: uuid.UUID, sizes: list[dict]
) -> None:
    """The product's sizes become `sizes`: kept by label (their IDs stay), others removed."""
    t = m.product_sizes
    current = {
        r.label: r for r in (await conn.execute(sa.select(t).where(t.c.product_id == product_id))).all()
    }
    wanted = {size["label"].strip(): (i, size) for i, size in enumerate(sizes)}
    for label, row in current.items():
        if label not in wanted:
            await conn.execute(sa.delete(t).where(t.c.id == row.id))
    for label, (position, size) in wanted.items():
        values = {
            "width_cm": size.get("width_cm"),
            "length_cm": size.get("length_cm"),
            "area_cm2": _area(size),
            "position": position,
        }
        if label in current:
            await conn.execute(sa.update(t).where(t.c.id == current[label].id).values(**values))
        else:
            await conn.execute(
                sa.insert(t).values(tenant_id=actor.tenant_id, product_id=product_id, label=label, **values)
            )
    await write_audit(conn, actor, "product.sizes", "Product", product_id, extra={"sizes": sorted(wanted)})


async def create_product(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    _check_product(values, creating=True, current=None)
    await _references(conn, values)
    sizes = values.pop("sizes", None)
    values = {**values, "name": values["name"].strip(), "sku": values["sku"].strip()}
    row = await insert_row(conn, actor, m.products, "Product", values)
    if sizes:
        await _replace_sizes(conn, actor, row.id, sizes)
    payload = {"manufacturer_id": row.manufacturer_id, "category_id": row.category_id}
    await emit(conn, actor, PRODUCT_CREATED, "Product", row.id, payload)
    return row


async def update_product(
    conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None, values: dict[str, Any]
) -> Any:
    before = await existing_row(conn, m.products, pk, "product")
    _check_product(values, creating=False, current=before)
    await _references(conn, values)
    sizes = values.pop("sizes", None)
    for key in ("name", "sku"):
        if key in values:
            values[key] = values[key].strip()
    row = await update_row(conn, actor, m.products, "Product", before, values)
    if sizes is not None:
        await _replace_sizes(conn, actor, row.id, sizes)
    await emit(conn, actor, PRODUCT_UPDATED, "Product", row.id, {"is_active": row.is_active})
    return row


async def deactivate_product(conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None) -> Any:
    """Soft delete: off the catalog and not orderable; past orders keep naming it."""
    before = await existing_row(conn, m.products, pk, "product")
    if before.deactivated_at is not None:
        return before
    row = await deactivate_row(conn, actor, m.products, "Product", before, is_active=False)
    await emit(conn, actor, PRODUCT_DEACTIVATED, "Product", row.id)
    return row


async def link_specialty(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    product = await lock_row(conn, m.products, values["product_id"]) if values.get("product_id") else None
    if product is None:
        raise_not_found("productId", "product")
    await active_row(conn, m.specialties, values.get("specialty_id"), "specialtyId", "specialty")
    if values.get("is_primary"):  # the product's one primary specialty moves here
        t = m.product_specialties
        await conn.execute(
            sa.update(t).where(t.c.product_id == product.id, t.c.is_primary).values(is_primary=False)
        )
    return await insert_row(conn, actor, m.product_specialties, "ProductSpecialty", values)


async def unlink_specialty(conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None) -> Any:
    before = await existing_row(conn, m.product_specialties, pk, "product specialty")
    return await delete_row(conn, actor, m.product_specialties, "ProductSpecialty", before)
