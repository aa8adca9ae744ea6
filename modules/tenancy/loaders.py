"""Reads the entity declarations cannot express: one dataloader per relation, one query
per batch.

Every loader runs on the request's unit of work, so row-level security (tenant
and memberships) applies to each of them. A row the caller may not see loads
as None, exactly like a row that does not exist.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from aiodataloader import DataLoader

from app.context import RequestContext
from modules.tenancy import models as m
from schema.lists import any_of, fetch_rows


def _grouped_loader(ctx: RequestContext, stmt_for: Any, key_column: str, value_column: str) -> DataLoader:
    async def batch(keys: list[uuid.UUID]) -> list[list[Any]]:
        grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in await fetch_rows(ctx, stmt_for(keys)):
            grouped[row._mapping[key_column]].append(row._mapping[value_column])
        return [sorted(grouped.get(key, [])) for key in keys]

    return DataLoader(batch)


def permission_keys_by_role(ctx: RequestContext) -> DataLoader:
    def stmt(keys: list[uuid.UUID]) -> sa.Select[Any]:
        t = m.role_permissions.c
        return sa.select(t.role_id, t.permission_key).where(any_of(t.role_id, keys))

    return ctx.loaders.get(
        "permission_keys_by_role", lambda c: _grouped_loader(c, stmt, "role_id", "permission_key")
    )


def roles_by_user(ctx: RequestContext) -> DataLoader:
    async def batch(keys: list[uuid.UUID]) -> list[list[Any]]:
        stmt = (
            sa.select(m.roles, m.user_roles.c.user_id.label("_user_id"))
            .join(m.user_roles, m.roles.c.id == m.user_roles.c.role_id)
            .where(any_of(m.user_roles.c.user_id, keys))
            .order_by(m.roles.c.key)
        )
        grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in await fetch_rows(ctx, stmt):
            grouped[row._user_id].append(row)
        return [grouped.get(key, []) for key in keys]

    return ctx.loaders.get("roles_by_user", lambda c: DataLoader(batch))
