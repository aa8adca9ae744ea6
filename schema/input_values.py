"""Input values the database or a JSON client cannot hold are refused before execution.

PostgreSQL stores no NUL character in text or jsonb and no lone UTF-16 surrogate
anywhere; JSON numbers beyond 64-bit integers or not finite cannot round-trip through
jsonb and JSON clients. Without this check such a value in any argument would reach
the database (or the response encoder) and fail as an internal error instead of a
clear one. Lists and objects nested deeper than `MEDGRAPH_MAX_INPUT_DEPTH` are refused
the same way (no tenant setting needs more, and the response encoder stops at 254).
JSON request bodies are already strict (see app/http.py); this covers the document's
own literals (a validation rule) and the variables of every transport, websockets
included (an extension, per request).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

from graphql import (
    FloatValueNode,
    GraphQLError,
    IntValueNode,
    Node,
    StringValueNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import SchemaExtension

from app.errors import InputLimitError
from app.settings import get_settings

INT64 = 2**63

NUL = "String values must not contain NUL (\\u0000) characters"
SURROGATE = "String values must be valid Unicode: no lone surrogates (\\ud800-\\udfff)"
NUMBER = "Numbers must be finite and fit in a 64-bit integer"


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return NUL
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return SURROGATE
    return None


def value_problem(value: object, max_depth: int = 32, max_values: int | None = None) -> str | None:
    """Why a decoded input value cannot be stored, or None.

    Walked with a stack, not recursion: a JSON body may nest a thousand levels deep
    (orjson's limit), past Python's recursion limit, and variables are walked whether
    or not the operation declares them. With `max_values`, a value holding more (every
    list item and object entry counts) is refused before anything coerces it.
    """
    return _first_problem([value], max_depth, max_values, seen=1)


def _first_problem(values: list[object], max_depth: int, max_values: int | None, seen: int) -> str | None:
    """The first problem of any of `values`, each at depth 0; `seen` values are counted
    already, and every list item and object entry below them counts on."""
    stack: list[tuple[object, int]] = [(value, 0) for value in values]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            if depth >= max_depth:
                return _too_deep(max_depth)
            seen += len(item)  # counted before any is walked: a huge list costs nothing more
            if max_values is not None and seen > max_values:
                return f"Input values must hold at most {max_values} values in all"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif (problem := _scalar_problem(item)) is not None:
            return problem
    return None


def _too_deep(max_depth: int) -> str:
    return f"Input values must not nest deeper than {max_depth} levels of lists and objects"


def _scalar_problem(value: object) -> str | None:
    if isinstance(value, str):
        return _text_problem(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if -INT64 <= value < INT64 else NUMBER
    if isinstance(value, float):
        # Past 2^63 a float has lost an integer's digits (JSON parsers turn large integers
        # into floats): refused like the integer it stood for.
        return None if math.isfinite(value) and abs(value) < INT64 else NUMBER
    return None


def _literal_problem(node: Node) -> str | None:
    if isinstance(node, StringValueNode):
        return _text_problem(node.value)
    if isinstance(node, IntValueNode):
        digits = len(node.value.lstrip("-"))  # never int() thousands of digits
        if digits <= 18:
            return None
        return NUMBER if digits > 19 else _scalar_problem(int(node.value))
    if isinstance(node, FloatValueNode):
        return _scalar_problem(float(node.value))
    return None


def instant(value: dt.datetime, argument: str) -> dt.datetime:
    """A timestamp argument in UTC, as the database compares it (naive ones are taken as
    UTC); an offset that moves it past year 1 or 9999 is the client's error, not ours."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError as exc:
        raise InputLimitError(f"`{argument}` is out of range") from exc


class StorableLiteralsRule(ValidationRule):
    """The document's own literals, checked as part of validation (and cached with it)."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.max_depth = get_settings().max_input_depth
        self.depth = 0
        self.reported = False

    def enter_list_value(self, node: Node, *_args: object) -> None:
        self.depth += 1
        if self.depth == self.max_depth + 1:
            self._refuse(node, _too_deep(self.max_depth))

    def leave_list_value(self, *_args: object) -> None:
        self.depth -= 1

    enter_object_value = enter_list_value
    leave_object_value = leave_list_value

    def enter_string_value(self, node: Node, *_args: object) -> None:
        self._check(node)

    enter_int_value = enter_float_value = enter_string_value

    def _check(self, node: Node) -> None:
        if (problem := _literal_problem(node)) is not None:
            self._refuse(node, problem)

    def _refuse(self, node: Node, problem: str) -> None:
        if not self.reported:  # one is enough: a document of bad literals is not a flood of errors
            self.reported = True
            self.report_error(GraphQLError(problem, node, extensions={"code": "BAD_USER_INPUT"}))


def variables_problem(variables: dict[str, object]) -> str | None:
    """What is wrong with a request's variables, declared or not (None: nothing). Names and
    values alike, each value as deep as its own nesting; the map and its entries count, as
    any object's do."""
    settings = get_settings()
    return _first_problem(
        [*variables, *variables.values()],
        settings.max_input_depth,
        settings.max_input_values,
        seen=1 + len(variables),
    )


class RejectUnstorableVariables(SchemaExtension):
    """The variables of each request, declared or not, before anything executes."""

    def on_validate(self) -> Iterator[None]:
        # Before yielding: strawberry stops on pre_execution_errors right after the hooks'
        # first halves and validation, so errors found after the yield would come too late.
        context = self.execution_context
        problem = variables_problem(context.variables or {})
        if problem is not None:
            error = GraphQLError(problem, extensions={"code": "BAD_USER_INPUT"})
            context.pre_execution_errors = [*(context.pre_execution_errors or []), error]
        yield
