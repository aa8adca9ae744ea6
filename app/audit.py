"""The audit trail: who changed what, from where, with the before/after values.

The API role may insert audit rows but never update or delete them (see the
migration's grants). PHI columns are recorded as "[redacted]", never as values.
Services write through `app/writes.py`, which adds the audit row to each change.
"""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.context import RequestContext
from app.tables import audit_log

SECRET_SUFFIXES = ("_enc", "_index", "password_hash", "token_hash")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change and from where: what an audit row needs beside the change."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID | None
    request_id: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None

    @classmethod
    async def of(cls, ctx: RequestContext) -> Actor:
        principal = await ctx.principal()
        return cls(
            principal.tenant_id,
            principal.user_id,
            ctx.request_id,
            client_ip(ctx.client_ip),
            (ctx.user_agent or "")[:500] or None,
        )


def client_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID | dt.date | dt.datetime | decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):  # array columns (a category's path of UUIDs, say)
        return [_plain(item) for item in value]
    return value


def _redact(key: str, value: Any) -> Any:
    return "[redacted]" if key.endswith(SECRET_SUFFIXES) and value is not None else _plain(value)


def snapshot(row: Any | None, keys: set[str] | None = None) -> dict[str, Any] | None:
    """A JSON-safe copy of a row (or of some of its columns) with secrets and PHI redacted."""
    if row is None:
        return None
    return {
        key: _redact(key, value)
        for key, value in row._mapping.items()
        if key != "tenant_id" and (keys is None or key in keys)
    }


def _diff(before: Any | None, after: Any | None) -> dict[str, Any]:
    """Whole rows for a create or delete; only the changed columns for an update.

    Changes are found on the raw values, so a re-encrypted PHI column shows as changed
    (redacted) even though both sides read "[redacted]".
    """
    if before is None or after is None:
        return {"before": snapshot(before), "after": snapshot(after)}
    old, new = before._mapping, after._mapping
    changed = {k for k in new if k in old and old[k] != new[k]} - {"updated_at"}
    return {"before": snapshot(before, changed), "after": snapshot(after, changed)}


async def write_audit(
    conn: AsyncConnection,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID | None,
    before: Any | None = None,
    after: Any | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    await write_audits(conn, actor, action, entity_type, [(entity_id, before, after)], extra)


async def write_audits(
    conn: AsyncConnection,
    actor: Actor,
    action: str,
    entity_type: str,
    changes: Sequence[tuple[uuid.UUID | None, Any | None, Any | None]],
    extra: dict[str, Any] | None = None,
) -> None:
    """One audit row per (entity ID, before, after), written in one statement: a change
    of many rows at once (a background batch) costs one round trip, not one per row."""
    if not changes:
        return
    who: dict[str, Any] = {
        "tenant_id": actor.tenant_id,
        "actor_user_id": actor.user_id,
        "action": action,
        "entity_type": entity_type,
        "request_id": actor.request_id,
        "ip_address": actor.ip_address,
        "user_agent": actor.user_agent,
    }
    rows = [
        who | {"entity_id": entity_id, "changes": _diff(before, after) | (extra or {})}
        for entity_id, before, after in changes
    ]
    await conn.execute(sa.insert(audit_log), rows)  # executemany: compiled once, cached
