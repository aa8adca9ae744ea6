"""Input values the database or a JSON client cannot hold are refused before execution.

PostgreSQL stores no NUL character in text or jsonb and no lone UTF-16 surrogate
anywhere; JSON numbers beyond 64-bit integers or not finite cannot round-trip through
jsonb and JSON clients. Without this check such a value in any argument would reach
the database (or the response encoder) and fail as an internal error instead of a
clear one. JSON request bodies are already strict (see app/http.py); this covers the
document's own literals and the variables of every transport, websockets included.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator

from graphql import FloatValueNode, GraphQLError, IntValueNode, Node, StringValueNode
from strawberry.extensions import SchemaExtension

from schema.errors import InputLimitError

INT64 = 2**63

NUL = "String values must not contain NUL (\\u0000) characters"
SURROGATE = "String values must be valid Unicode: no lone surrogates (\\ud800-\\udfff)"
NUMBER = "Numbers must be finite and fit in a 64-bit integer"

# Only these can hide an unstorable literal: an escape, a long run of digits, an exponent.
_SUSPECT = re.compile(r"\\u|\d{19}|[eE][+-]?\d{3}")


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return NUL
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return SURROGATE
    return None


def value_problem(value: object) -> str | None:
    """Why a decoded input value cannot be stored, or None."""
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
    if isinstance(value, dict):
        return next((p for k, v in value.items() if (p := value_problem(k) or value_problem(v))), None)
    if isinstance(value, list | tuple):
        return next((p for v in value if (p := value_problem(v))), None)
    return None


def _literal_problem(node: Node) -> str | None:
    if isinstance(node, StringValueNode):
        return _text_problem(node.value)
    if isinstance(node, IntValueNode):
        digits = len(node.value.lstrip("-"))  # never int() thousands of digits
        if digits <= 18:
            return None
        return NUMBER if digits > 19 else value_problem(int(node.value))
    if isinstance(node, FloatValueNode):
        return value_problem(float(node.value))
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


class RejectUnstorableInput(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        # Before yielding: strawberry stops on pre_execution_errors right after the hooks'
        # first halves and validation, so errors found after the yield would come too late.
        context = self.execution_context
        document = context.graphql_document
        query = context.query or ""
        problem = value_problem(context.variables or {})
        if problem is None and document is not None and (_SUSPECT.search(query) or _text_problem(query)):
            problem = next((p for node in _walk(document) if (p := _literal_problem(node))), None)
        if problem is not None:
            error = GraphQLError(problem, extensions={"code": "BAD_USER_INPUT"})
            context.pre_execution_errors = [*(context.pre_execution_errors or []), error]
        yield


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for key in node.keys:
        child = getattr(node, key, None)
        children = child if isinstance(child, tuple | list) else (child,)
        for item in children:
            if isinstance(item, Node):
                yield from _walk(item)
