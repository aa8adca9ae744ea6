"""Domain events: recorded with the change they describe, read back in commit order.

A module declares each event it emits once, as an `EventType` naming its payload keys
and their kinds, and lists them in its manifest; a service calls
`emit(conn, actor, USER_DEACTIVATED, "User", user_id, {...})` on the connection of its
change. The event lands in the outbox (`domain_events`) in the same
transaction, so a change rolled back leaves no event, and is numbered at commit with
a per-tenant sequence that follows commit order (see migration 0004): a reader that
resumes after the last sequence it saw misses nothing. After commit one NOTIFY wakes
each API process's listener (app/event_hub.py), which hands events to subscribers.

A payload carries only the keys its type declares, each of one kind: `id`, `ids` (lists
of IDs), `code`, `codes` (short tokens: statuses, role and permission keys), `count`,
`flag`. No kind holds free text, and a key that could hold PHI would have to be declared
in the manifest, where it is reviewed: nothing that could be PHI gets into the outbox
by accident.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import Actor
from app.tables import domain_events, event_counters

CHANNEL = "medgraph_events"
EVENT_TYPE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
CODE = re.compile(r"^[A-Za-z0-9_.:-]{0,64}$")


class EventPayloadError(ValueError):
    """A payload its event type does not declare: a bug in the emitting service."""


def _id(value: Any) -> str:
    if not isinstance(value, uuid.UUID):
        raise EventPayloadError("an `id` is a UUID")
    return str(value)


def _code(value: Any) -> str:
    if not isinstance(value, str) or not CODE.fullmatch(value):
        raise EventPayloadError("a `code` is a short token (letters, digits, _.:-)")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise EventPayloadError("a `count` is an integer")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise EventPayloadError("a `flag` is true or false")
    return value


def _many(one: Any) -> Any:
    def convert(values: Any) -> list[Any]:
        if not isinstance(values, list | tuple):
            raise EventPayloadError("a list is expected")
        return [one(v) for v in values]

    return convert


KINDS = {"id": _id, "ids": _many(_id), "code": _code, "codes": _many(_code), "count": _count, "flag": _flag}


@dataclass(frozen=True)
class EventType:
    """One kind of event a module emits: `noun.verb_ed`, what it means, its payload keys."""

    name: str
    description: str
    payload: Mapping[str, str] = field(default_factory=dict)  # key -> kind (see KINDS)

    def __post_init__(self) -> None:
        if not EVENT_TYPE.fullmatch(self.name):
            raise ValueError(f"event type {self.name!r}: write it as `noun.verb_ed`")
        unknown = {kind for kind in self.payload.values() if kind not in KINDS}
        if unknown:
            raise ValueError(f"event type {self.name}: unknown payload kinds {sorted(unknown)}")

    def checked(self, payload: Mapping[str, Any] | None) -> dict[str, Any]:
        payload = payload or {}
        undeclared = set(payload) - set(self.payload)
        if undeclared:
            raise EventPayloadError(f"{self.name}: payload keys it does not declare: {sorted(undeclared)}")
        out = {}
        for key, value in payload.items():
            try:
                out[key] = None if value is None else KINDS[self.payload[key]](value)
            except EventPayloadError as exc:
                raise EventPayloadError(f"{self.name}.{key}: {exc}") from None
        return out


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


async def emit(
    conn: AsyncConnection,
    actor: Actor,
    event_type: EventType,
    entity_type: str,
    entity_id: uuid.UUID | None,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Record an event of the change being made on `conn` (same transaction)."""
    await emit_all(conn, actor, event_type, entity_type, [(entity_id, payload)])


async def emit_all(
    conn: AsyncConnection,
    actor: Actor,
    event_type: EventType,
    entity_type: str,
    events: Sequence[tuple[uuid.UUID | None, Mapping[str, Any] | None]],
) -> None:
    """Record one event per (entity ID, payload), in one statement, in the order given
    (their sequences follow it)."""
    if not events:
        return
    who = {
        "tenant_id": actor.tenant_id,
        "type": event_type.name,
        "entity_type": entity_type,
        "actor_user_id": actor.user_id,
        "request_id": actor.request_id,
    }
    rows = [
        who | {"entity_id": entity_id, "payload": event_type.checked(payload)}
        for entity_id, payload in events
    ]
    await conn.execute(sa.insert(domain_events), rows)  # executemany, in order: sequences follow it


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
