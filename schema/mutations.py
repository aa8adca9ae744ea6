"""The one wrapper every mutation goes through (cf. Saleor's BaseMutation).

It runs the service inside a savepoint of the request's transaction, so a
mutation that fails — by invalid input, a unique key already taken, or any
unexpected error — changes nothing, and turns input problems into the typed
errors of the payload. Unexpected errors propagate and are masked.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import uuid
from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.types import Info
from strawberry.types.base import StrawberryOptional
from strawberry.utils.str_converters import to_camel_case, to_snake_case

from app.audit import Actor
from app.auth.passwords import HashingBusy
from app.errors import FieldProblem, InputInvalid
from schema.permissions import requires as requires_permission
from schema.relay import decode_id

T = TypeVar("T")
E = TypeVar("E")


INSUFFICIENT_PRIVILEGE = "42501"


def _constraint(exc: sa.exc.IntegrityError) -> str | None:
    cause = getattr(exc.orig, "__cause__", None)
    return getattr(cause, "constraint_name", None)


async def run_mutation(
    info: Info,
    work: Callable[[AsyncConnection], Awaitable[T]],
    unique: Mapping[str, str] | None = None,
) -> tuple[T | None, list[FieldProblem]]:
    """Run `work` in a savepoint; map invalid input and known unique keys to problems.

    `unique` maps a unique constraint's name to the input field it guards, so a
    duplicate becomes a DUPLICATE error on that field (both values are the
    caller's own tenant's: unique keys include the tenant).
    """
    try:
        async with info.context.uow.savepoint() as conn:
            return await work(conn), []
    except InputInvalid as exc:
        return None, exc.problems
    except HashingBusy:
        return None, [FieldProblem(None, "RATE_LIMITED", "The server is busy checking passwords; try again")]
    except sa.exc.IntegrityError as exc:
        field = (unique or {}).get(_constraint(exc) or "")
        if field is None:
            raise
        return None, [FieldProblem(field, "DUPLICATE", "This value is already in use")]
    except sa.exc.ProgrammingError as exc:
        # The row-level policies' WITH CHECK: the change would put a row outside what the
        # caller may see (another facility than their memberships, say). The caller's
        # mistake, with nothing of anyone else's in it.
        cause = getattr(exc.orig, "__cause__", None)
        refused_by_policy = "row-level security" in str(cause)
        if getattr(cause, "sqlstate", None) != INSUFFICIENT_PRIVILEGE or not refused_by_policy:
            raise  # a missing grant is our bug, not the caller's
        return None, [FieldProblem(None, "FORBIDDEN", "This change would reach beyond what you may see")]


def graphql_path(field: str | None) -> str | None:
    """Services may name fields as Python does; clients see GraphQL's camelCase."""
    if field is None:
        return None
    return ".".join(to_camel_case(part) for part in field.split("."))


class UnknownErrorCode(LookupError):
    """A service named a code its module's error enum lacks: a bug, never the caller's."""


class MutationRunner(Generic[E]):
    """A module's one way to run a mutation: `run(info, work, Entity)` runs `work(conn,
    actor)` in a savepoint for the signed-in actor and answers (the entity built from the
    row it returns, the typed errors). Each module makes one with its error type and
    code enum (see `modules/tenancy/errors.py`)."""

    def __init__(self, error_type: type[E], codes: type[Enum]) -> None:
        self.error_type = error_type
        self.codes = codes

    def errors(self, problems: list[FieldProblem]) -> list[E]:
        out = []
        for p in problems:
            code = self.codes.__members__.get(p.code)
            if code is None:
                raise UnknownErrorCode(f"{p.code} is not a {self.codes.__name__}")
            out.append(self.error_type(field=graphql_path(p.field), code=code, message=p.message))  # type: ignore[call-arg]
        return out

    async def run(
        self,
        info: Info,
        work: Callable[[AsyncConnection, Actor], Awaitable[Any]],
        make: Any,
        unique: Mapping[str, str] | None = None,
    ) -> tuple[Any, list[E]]:
        """`make` is the entity type of the result (or a function of the row)."""
        actor = await Actor.of(info.context)
        row, problems = await run_mutation(info, lambda conn: work(conn, actor), unique)
        errors = self.errors(problems)
        build = getattr(make, "from_row", make)
        return (build(row) if row is not None and not errors else None), errors

    async def respond(
        self,
        payload_type: Any,
        info: Info,
        work: Callable[[AsyncConnection, Actor], Awaitable[Any]],
        unique: Mapping[str, str] | None = None,
    ) -> Any:
        """Run the mutation (see `run`) and answer with its payload: a type with `errors`
        and one field for the entity it answers (null when refused)."""
        field, entity = _answered(payload_type)
        result, errors = await self.run(info, work, entity, unique)
        return payload_type(**{field: result, "errors": errors})

    def payload(self, entity: type, description: str | None = None) -> type:
        """`<Entity>Payload`: the entity a mutation answers with (null when refused) and
        its typed errors. Made once per entity and shared by its mutations."""
        name = f"{entity.__name__}Payload"
        field = to_snake_case(entity.__name__)
        namespace = {
            "__annotations__": {field: entity | None, "errors": list[self.error_type]},  # type: ignore[name-defined]
            "__module__": entity.__module__,
        }
        return strawberry.type(type(name, (), namespace), description=description)

    def field(
        self,
        work: Callable[..., Awaitable[Any]],
        *,
        payload: type,
        requires: str,
        input: type | None = None,
        id_of: str | None = None,
        ids: Mapping[str, str] | None = None,
        unique: Mapping[str, str] | None = None,
        description: str | None = None,
        with_context: bool = False,
    ) -> Any:
        """A mutation field declared rather than written out. It takes an `id` of type
        `id_of` (decoded to a primary key; one of another type finds nothing) and/or an
        `input` (read with `input_values`, `ids` naming which fields take which type of
        global ID), needs the permission `requires`, runs `work(conn, actor, [pk],
        [values], [context])` (`with_context`: the request's, for a service that seals PHI,
        say) and answers `payload`."""
        if input is None and id_of is None:
            raise TypeError("a declared mutation takes an `id`, an `input`, or both")

        async def resolve(self_: Any, info: Info, **arguments: Any) -> Any:
            given: list[Any] = []
            if id_of is not None:
                given.append(decode_id(arguments["id"], id_of))
            if input is not None:
                given.append(input_values(arguments["input"], ids=ids))
            if with_context:
                given.append(info.context)
            return await self.respond(payload, info, lambda conn, actor: work(conn, actor, *given), unique)

        keyword = inspect.Parameter.KEYWORD_ONLY
        parameters = [
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter("info", keyword, annotation=Info),
        ]
        annotations: dict[str, Any] = {"info": Info}
        if id_of is not None:
            parameters.append(inspect.Parameter("id", keyword, annotation=strawberry.ID))
            annotations["id"] = strawberry.ID
        if input is not None:
            parameters.append(inspect.Parameter("input", keyword, annotation=input))
            annotations["input"] = input
        resolve.__signature__ = inspect.Signature(parameters, return_annotation=payload)  # type: ignore[attr-defined]
        resolve.__annotations__ = {**annotations, "return": payload}
        return strawberry.mutation(
            resolver=resolve, extensions=requires_permission(requires), description=description
        )


@functools.cache
def _id_fields(input_type: Any) -> frozenset[str]:
    """The fields of an input type that take a global ID."""
    found = set()
    for f in input_type.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        kind = f.type.of_type if isinstance(f.type, StrawberryOptional) else f.type
        if kind is strawberry.ID:
            found.add(f.python_name)
    return frozenset(found)


@functools.cache
def _answered(payload_type: Any) -> tuple[str, Any]:
    """The field of a payload type other than `errors`, and the entity type it holds."""
    (field,) = [f for f in payload_type.__strawberry_definition__.fields if f.python_name != "errors"]
    entity = field.type.of_type if isinstance(field.type, StrawberryOptional) else field.type
    return field.python_name, entity


NOWHERE = uuid.UUID(int=0)
"""Stands for an ID of the wrong type: it matches no row, so the service answers NOT_FOUND."""


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def input_values(
    data: Any,
    *,
    ids: Mapping[str, str] | None = None,
    columns: Mapping[str, str] | None = None,
    omit: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The fields of a mutation input the client sent, as a service takes them.

    Fields left out (UNSET) are absent, so an update changes only what was sent; enums
    become their stored values; the ID fields named in `ids` (field -> type name) become
    primary keys, an ID of another type one that matches nothing (`NOWHERE`: the
    service answers NOT_FOUND on that field) and null stays null; a list of nested
    inputs becomes a list of such dicts. `columns` renames
    fields to their columns; `omit` leaves out fields the service takes separately.
    """
    ids, columns = ids or {}, columns or {}
    input_type: Any = type(data)
    undecoded = _id_fields(input_type) - set(ids) - set(omit)
    if undecoded:
        # A global ID handed to a service as it is would reach SQL as a string: a bug.
        raise TypeError(f"{input_type.__name__}: say what type of ID {sorted(undecoded)} take (`ids=`)")
    values: dict[str, Any] = {}
    for f in dataclasses.fields(data):
        value = getattr(data, f.name)
        if value is strawberry.UNSET or f.name in omit:
            continue
        if f.name in ids and value is not None:
            value = decode_id(value, ids[f.name]) or NOWHERE
        elif isinstance(value, list) and any(dataclasses.is_dataclass(item) for item in value):
            # A list of nested inputs (an order's items): each read the same way, its ID
            # fields named in `ids` under the list's name (`{"items.product_id": "Product"}`).
            inner = {k.partition(".")[2]: v for k, v in ids.items() if k.startswith(f"{f.name}.")}
            value = [input_values(item, ids=inner) for item in value]
        values[columns.get(f.name, f.name)] = _plain(value)
    return values
