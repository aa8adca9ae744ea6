"""Live entity events for subscriptions: a tenant's domain events about one node type,
replayed from a cursor and then live, each re-authorized for its subscriber.

    async for event, node in live(info, "Order", {"order.status_changed"}, after=after):
        yield OrderStatusEvent.of(event, node)

- **From a cursor.** `after` is the `cursor` of the last event the client saw: what
  followed is replayed from the outbox, then the stream goes live, with no gap and no
  duplicate at the seam (app/event_hub.py). Without it, the stream starts now.
- **One LISTEN per process.** Events come from the process's event hub, which reads each
  tenant's new events once per notification, however many subscribers it has.
- **Re-authorized.** Each event is read in a fresh unit of work (`RequestContext.renew`):
  the caller is looked up again (active, token unexpired, the type's permission), and the
  node is loaded under row-level security, so facility narrowing applies as to any read;
  a node the caller may not see is skipped. A caller no longer allowed is disconnected
  with close code 4403, at the event, at the token's expiry, or at once when an event
  says their user, roles or memberships changed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Collection
from typing import Any

from strawberry.types import Info

from app.context import RequestContext
from app.errors import AuthenticationError, ClientError, PermissionDenied
from app.events import Event
from app.phi_log import flush_phi_access
from schema.lists import load_row
from schema.node import NODE_SOURCES

FORBIDDEN_CLOSE = 4403
# Events that may change what a caller may do: the caller is checked again at once.
WHO_CHANGED = ("user.", "role.", "membership.", "session.", "tenant.")
_PREFIX = "event:"


class InvalidEventCursor(ClientError):
    code = "INVALID_CURSOR"


def event_cursor(event: Event) -> str:
    return cursor_at(event.sequence)


def cursor_at(sequence: int) -> str:
    """The cursor of the tenant's event numbered `sequence` (0: before the first)."""
    return base64.urlsafe_b64encode(f"{_PREFIX}{sequence}".encode()).decode().rstrip("=")


def _sequence(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(_PREFIX):
            raise ValueError
        sequence = int(text.removeprefix(_PREFIX))
        if sequence < 0:
            raise ValueError
        return sequence
    except ValueError:
        raise InvalidEventCursor("`after` is not a cursor this subscription gave") from None


async def live(
    info: Info,
    type_name: str,
    types: Collection[str],
    *,
    after: str | None,
    entity_id: uuid.UUID | None = None,
) -> AsyncIterator[tuple[Event, Any]]:
    """(event, node) for each event of `types` about a node of `type_name` the caller may
    see (only `entity_id`'s, when given)."""
    ctx: RequestContext = info.context
    source = NODE_SOURCES[type_name]
    start = _sequence(after)
    principal = await settled(ctx, _checked_in(ctx, source.permission))

    def watched(event: Event) -> bool:
        return event.type in types and (entity_id is None or event.entity_id == entity_id)

    def wants(event: Event) -> bool:  # and a change of who the caller is: re-checked at once
        return watched(event) or event.type.startswith(WHO_CHANGED)

    async with await ctx.events.subscribe(principal.tenant_id, after=start, wants=wants) as stream:
        pending: asyncio.Task[Event] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(stream.__anext__())
                expires = ctx.valid_claims().expires_at - time.time() if _claims_valid(ctx) else 0
                done, _ = await asyncio.wait({pending}, timeout=max(expires, 0))
                if not done:
                    await _disconnect(ctx, "The access token has expired")
                    return
                try:
                    event = pending.result()
                except StopAsyncIteration:
                    return
                pending = None
                if not wants(event):
                    continue
                wanted = watched(event)
                ctx.renew()
                read = _read(ctx, source, event.entity_id if wanted else None)
                refused, row = await settled(ctx, read)
                if refused is not None:
                    await _disconnect(ctx, refused)
                    return
                if row is None:
                    continue
                try:
                    yield event, source.make(row)
                finally:
                    # The event's reads and their PHI access rows committed, even when the
                    # client leaves as it is sent: what may have been shown stays logged.
                    await asyncio.shield(_finish(ctx))
        finally:
            if pending is not None:
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending


async def settled(ctx: RequestContext, work: Awaitable[Any]) -> Any:
    """`work` (reads in the context's unit of work) run to its end even if the subscriber
    leaves meanwhile, and then the unit of work rolled back: a read cancelled mid-statement
    would leave its pooled connection to the garbage collector instead of back in the pool."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(BaseException):
            await task
        with contextlib.suppress(BaseException):
            await asyncio.shield(ctx.uow.finish(commit=False))
        raise


async def _checked_in(ctx: RequestContext, permission: str) -> Any:
    principal = await ctx.require(permission)
    await _finish(ctx)
    return principal


async def _read(ctx: RequestContext, source: Any, entity_id: uuid.UUID | None) -> tuple[str | None, Any]:
    """(why the caller is refused, or None; the node's row, or None) for one event, in the
    event's fresh unit of work: finished here unless a row is returned to be shown."""
    try:
        await ctx.require(source.permission)
    except (AuthenticationError, PermissionDenied) as exc:
        await _finish(ctx, commit=False)
        return exc.message, None
    row = None if entity_id is None else await load_row(ctx, source.table, entity_id)
    if row is None:
        await _finish(ctx)
    return None, row


def _claims_valid(ctx: RequestContext) -> bool:
    try:
        ctx.valid_claims()
    except AuthenticationError:
        return False
    return True


async def _finish(ctx: RequestContext, commit: bool = True) -> None:
    if commit and ctx.phi.fields_by_patient:
        await flush_phi_access(ctx)
    await ctx.uow.finish(commit=commit)


async def _disconnect(ctx: RequestContext, reason: str) -> None:
    """Close the caller's socket with 4403 (graphql-transport-ws's Forbidden)."""
    socket = ctx.request
    with contextlib.suppress(Exception):  # gone already
        await socket.close(code=FORBIDDEN_CLOSE, reason=reason[:120])
