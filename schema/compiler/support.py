"""What the compiler's runner keeps and reads: bounded caches, remembered verdicts, the
operations of a document, and the statement's JSON text as Python values."""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import FragmentDefinitionNode, GraphQLError, OperationDefinitionNode
from strawberry.types import ExecutionResult

from app.context import RequestContext
from app.errors import ClientError

_LONG_NUMBER = re.compile(r"\d{19}")


@dataclass(frozen=True)
class Refused:
    """A remembered verdict: this operation, for this permission set, needs the resolvers."""

    reason: str


class LRU(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def lookup(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def store(self, key: Any, value: Any) -> Any:
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)
        return value


@dataclass(frozen=True)
class Operation:
    node: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    switches: tuple[str, ...]  # variables read by @skip/@include


async def signed_in(ctx: RequestContext) -> Any:
    """The caller's principal, loaded before any field runs (None for no caller, or one
    refused). Whichever path answers, fields then find it loaded: graphql-core stops a
    query at the first error that nulls its data, and which sibling fields report their
    errors first would otherwise depend on which path loaded it and when."""
    if ctx.claims is None or ctx.auth_error:
        return None
    try:
        return await ctx.principal()
    except ClientError:
        return None


def failed_result(exc: Exception) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[GraphQLError(type(exc).__name__, original_error=exc)])


def parse_json(text: str) -> Any:
    """The statement's JSON as Python values. orjson reads an integer past 64 bits as a
    float; the resolvers read JSON columns with the standard library, which keeps it whole."""
    return json.loads(text) if _LONG_NUMBER.search(text) else orjson.loads(text)


def dumps_json(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer past 64 bits
        return json.dumps(value, separators=(",", ":")).encode()
