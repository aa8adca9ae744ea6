"""The category tree and the specialties.

A category moves by changing its parent. Moving it under itself or one of its
descendants would make a cycle: refused here with a typed error, and by the database's
trigger as well (`product_categories_no_cycle`). Both read the paths the trigger keeps, so
every change of the tree within a tenant (a move, and a new category, whose path copies
its parent's) takes the same advisory lock: a new category cannot copy a path that a
concurrent move is rewriting, and two moves cannot each look fine and together make a
cycle.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.errors import Problems, raise_problem
from app.events import emit
from app.validators import SLUG_KEY, Check
from app.writes import active_row, existing_row, insert_row, soft_delete, update_row
from modules.products import models as m
from modules.products.events import CATEGORY_CHANGED

CATEGORY_UNIQUE = {"product_categories_tenant_id_parent_id_name_key": "input.name"}
SPECIALTY_UNIQUE = {"specialties_tenant_id_code_key": "input.code"}


def _check_category(values: dict[str, Any], creating: bool) -> None:
    problems = Problems()
    check = Check(problems)
    check.present(values, ("name", "type"), ("name",), creating)
    check.text("name", values.get("name"))
    check.text("description", values.get("description"), max_len=2000)
    problems.raise_if_any()


async def _parent(conn: AsyncConnection, parent_id: uuid.UUID | None) -> Any | None:
    if parent_id is None:
        return None
    return await active_row(conn, m.product_categories, parent_id, "parentId", "parent category")


async def _lock_tree(conn: AsyncConnection, actor: Actor) -> None:
    """One change of the tenant's category tree at a time (see the module docstring)."""
    key = sa.func.hashtext(f"categories:{actor.tenant_id}")
    await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


async def create_category(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    _check_category(values, creating=True)
    if values.get("parent_id") is not None:
        await _lock_tree(conn, actor)
    await _parent(conn, values.get("parent_id"))
    row = await insert_row(conn, actor, m.product_categories, "ProductCategory", values)
    await emit(conn, actor, CATEGORY_CHANGED, "ProductCategory", row.id, {"parent_id": row.parent_id})
    return row


async def update_category(
    conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None, values: dict[str, Any]
) -> Any:
    _check_category(values, creating=False)
    if "parent_id" in values:
        await _lock_tree(conn, actor)
    before = await existing_row(conn, m.product_categories, pk, "category")
    if "parent_id" in values:
        parent = await _parent(conn, values["parent_id"])
        if parent is not None and before.id in parent.path:
            raise_problem(
                "parentId", "CYCLE", "A category cannot move under itself or one of its descendants"
            )
    row = await update_row(conn, actor, m.product_categories, "ProductCategory", before, values)
    await emit(conn, actor, CATEGORY_CHANGED, "ProductCategory", row.id, {"parent_id": row.parent_id})
    return row


async def deactivate_category(conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None) -> Any:
    """Refused while active subcategories or products are filed under it: move them first."""
    before = await existing_row(conn, m.product_categories, pk, "category")
    c, p = m.product_categories.c, m.products.c
    children = sa.select(c.id).where(c.parent_id == before.id, c.deactivated_at.is_(None)).exists()
    products = sa.select(p.id).where(p.category_id == before.id, p.deactivated_at.is_(None)).exists()
    has_children, has_products = (await conn.execute(sa.select(children, products))).one()
    if before.deactivated_at is None and (has_children or has_products):
        what = "subcategories" if has_children else "products"
        raise_problem("id", "IN_USE", f"The category still holds active {what}")
    row, changed = await soft_delete(conn, actor, m.product_categories, "ProductCategory", pk, "category")
    if changed:
        await emit(conn, actor, CATEGORY_CHANGED, "ProductCategory", row.id, {"parent_id": row.parent_id})
    return row


def _check_specialty(values: dict[str, Any], creating: bool) -> None:
    problems = Problems()
    check = Check(problems)
    not_null = (
        "code",
        "name",
        "restricted_access",
        "validation_rules",
        "form_templates",
        "workflow_overrides",
    )
    check.present(values, not_null, ("code", "name"), creating)
    check.pattern("code", values.get("code"), SLUG_KEY, "code (lower case letters, digits and _)")
    check.text("name", values.get("name"))
    for name in ("validation_rules", "form_templates", "workflow_overrides"):
        check.json_object(name, values.get(name))
    problems.raise_if_any()


async def create_specialty(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> Any:
    _check_specialty(values, creating=True)
    return await insert_row(conn, actor, m.specialties, "Specialty", values)


async def update_specialty(
    conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None, values: dict[str, Any]
) -> Any:
    _check_specialty(values, creating=False)
    before = await existing_row(conn, m.specialties, pk, "specialty")
    return await update_row(conn, actor, m.specialties, "Specialty", before, values)


async def deactivate_specialty(conn: AsyncConnection, actor: Actor, pk: uuid.UUID | None) -> Any:
    return (await soft_delete(conn, actor, m.specialties, "Specialty", pk, "specialty"))[0]
