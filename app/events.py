"""Domain events: recorded with the change they describe, read back in commit order.

A service calls `emit(conn, actor, "user.deactivated", "User", user_id, {...})` on the
connection of its change. The event lands in the outbox (`domain_events`) in the same
transaction, so a change rolled back leaves no event, and is numbered at commit with
a per-tenant sequence that follows commit order (see migration 0004): a reader that
resumes after the last sequence it saw misses nothing. After commit one NOTIFY wakes
each API process's listener (app/event_hub.py), which hands events to subscribers.

A payload is small and carries IDs, numbers, flags and short codes only (statuses,
keys), never free text: nothing that could be PHI gets into the outbox.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.tables import domain_events, event_counters

CHANNEL = "medgraph_events"
EVENT_TYPE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
CODE = re.compile(r"^[A-Za-z0-9_.:-]{0,64}$")
MAX_PAYLOAD_ITEMS = 32


class EventPayloadError(ValueError):
    """A payload that could carry more than IDs and codes: a bug in the emitting service."""


@dataclass(frozen=True, slots=True)
class Event:
    tenant_id: uuid.UUID
    sequence: int
    type: str
    entity_type: str
    entity_id: uuid.UUID | None
    actor_user_id: uuid.UUID | None
    payload: dict[str, Any]
    created_at: dt.datetime


def _payload_value(key: str, value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and CODE.fullmatch(value):
        return value
    if isinstance(value, list | tuple) and len(value) <= MAX_PAYLOAD_ITEMS:
        return [_payload_value(key, item) for item in value]
    raise EventPayloadError(f"payload {key!r}: only IDs, numbers, flags and short codes, never free text")


def checked_payload(payload: Mapping[str, Any] | None) -> dict[str, Any]:
    payload = payload or {}
    if len(payload) > MAX_PAYLOAD_ITEMS:
        raise EventPayloadError(f"at most {MAX_PAYLOAD_ITEMS} payload keys")
    return {key: _payload_value(key, value) for key, value in payload.items()}


async def emit(
    conn: AsyncConnection,
    actor: Actor,
    event_type: str,
    entity_type: str,
    entity_id: uuid.UUID | None,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Record an event of the change being made on `conn` (same transaction)."""
    if not EVENT_TYPE.fullmatch(event_type):
        raise EventPayloadError(f"event type {event_type!r}: write it as `noun.verb_ed`")
    await conn.execute(
        sa.insert(domain_events).values(
            tenant_id=actor.tenant_id,
            type=event_type,
            entity_type=entity_type,
            entity_id=entity_id,
            actor_user_id=actor.user_id,
            payload=checked_payload(payload),
            request_id=actor.request_id,
        )
    )


_COLUMNS = (
    domain_events.c.tenant_id,
    domain_events.c.sequence,
    domain_events.c.type,
    domain_events.c.entity_type,
    domain_events.c.entity_id,
    domain_events.c.actor_user_id,
    domain_events.c.payload,
    domain_events.c.created_at,
)


async def events_after(conn: AsyncConnection, after: int, limit: int = 500) -> list[Event]:
    """The scoped tenant's committed events past sequence `after`, in order."""
    rows = await conn.execute(
        sa.select(*_COLUMNS)
        .where(domain_events.c.sequence > after)
        .order_by(domain_events.c.sequence)
        .limit(limit)
    )
    return [Event(*row) for row in rows]


async def last_sequence(conn: AsyncConnection) -> int:
    """The scoped tenant's latest sequence (0 before its first event)."""
    return int(await conn.scalar(sa.select(event_counters.c.last_sequence)) or 0)


def contiguous(after: int, events: Sequence[Event]) -> bool:
    """Whether `events` continue exactly from `after` (what a resuming reader relies on)."""
    return [e.sequence for e in events] == list(range(after + 1, after + 1 + len(events)))
