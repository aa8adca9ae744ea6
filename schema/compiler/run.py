"""Running compiled reads: the plan cache, and the schema extension that answers a query
with one statement when it can and lets the resolvers answer it when it cannot.

Per request: the caller's principal (its permission set is part of the plan's key), the
variables coerced, the plan from the cache (or compiled, or remembered as not
compilable), the arguments bound, the statement text for their shapes (rendered once),
one statement on the request's unit of work (so row-level security and the tenant
settings apply as to every read), and the JSON text parsed once.

With `MEDGRAPH_COMPILED_READS_VERIFY` (the test suite's setting) every compiled answer is
also computed by the resolvers in the same transaction, and a difference is an error:
every query the test suite sends is a differential test of the compiler.
"""

from __future__ import annotations

import json
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
)
from graphql import execute as execute_with_resolvers
from graphql.execution.values import VariableValues, get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from app.context import RequestContext
from app.db import single_statement
from app.errors import ClientError
from app.logging import get_logger
from app.metrics import COMPILED_SECONDS, OPERATIONS
from app.settings import Settings
from schema.compiler.bind import Binder
from schema.compiler.fields import SchemaIndex, directive_variables
from schema.compiler.plan import Plan, PlanCompiler
from schema.compiler.render import Renderer
from schema.compiler.sql import NotCompilable

MAX_VARIANTS = 16  # statement texts kept per plan (argument shapes)
CALLERS = 10_000  # sessions whose permission set is remembered, to plan before the lookup
MISMATCHES: list[dict[str, Any]] = []  # verify mode: every difference found (the tests read it)

log = get_logger("medgraph.compiler")
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


class CompiledReads:
    """What every request of one schema shares: the schema index and the caches."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.plans = LRU(settings.plan_cache_size)
        self.operations = LRU(settings.plan_cache_size)
        self.callers = LRU(CALLERS)  # (user, session) -> the permission set last seen
        self.trace = (
            settings.execution_info
            if settings.execution_info is not None
            else (settings.env == "development")
        )
        self._index: SchemaIndex | None = None
        self._binder: Binder | None = None

    def extension(self) -> CompiledReadsExtension:
        return CompiledReadsExtension(self)

    def _operation(self, query: str, document: DocumentNode, name: str | None) -> Operation | None:
        key = (query, name)
        found = self.operations.lookup(key)
        if found is None:
            nodes = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            chosen = [n for n in nodes if name is None or (n.name and n.name.value == name)]
            if len(chosen) != 1:
                return None  # graphql-core reports the ambiguity
            fragments = {
                d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
            }
            found = self.operations.store(key, Operation(chosen[0], fragments, directive_variables(document)))
        return found  # type: ignore[no-any-return]

    def plan(
        self,
        schema: Any,
        query: str,
        operation: Operation,
        name: str | None,
        variables: VariableValues,
        permissions: frozenset[str],
    ) -> Plan | Refused:
        switches = tuple(bool(variables.coerced.get(v)) for v in operation.switches)
        key = (query, name, permissions, switches)
        plan = self.plans.lookup(key)
        if plan is None:
            if self._index is None:
                self._index, self._binder = SchemaIndex(schema._schema), Binder(schema)
            compiler = PlanCompiler(self._index, operation.fragments, variables.coerced, permissions)
            try:
                plan = compiler.operation(operation.node)
            except NotCompilable as exc:
                plan = Refused(str(exc))
            self.plans.store(key, plan)
        return plan  # type: ignore[no-any-return]

    async def answer(self, context: Any) -> tuple[ExecutionResult | None, str]:
        """The compiled answer to this request, or None and why the resolvers answer it.

        A caller seen before (their permission set remembered per session) is answered in
        one round trip: the principal lookup and the read fused in one statement, in a
        transaction of its own. The lookup sets the transaction's settings before the read
        runs (the read is evaluated from its row), and a caller refused, or whose
        permissions changed since, is answered the usual way instead."""
        ctx: RequestContext = context.context
        try:
            claims = ctx.valid_claims()
        except ClientError:
            return None, "not signed in"
        query, document = context.query, context.graphql_document
        operation = self._operation(query, document, context.operation_name)
        if operation is None:
            return None, "no single operation"
        variables = get_variable_values(
            context.schema._schema, operation.node.variable_definitions or (), context.variables or {}
        )
        if not isinstance(variables, VariableValues):
            return None, "variables the resolvers refuse"
        source, caller = ctx.principal_source, (claims.user_id, claims.session_id)
        known = self.callers.lookup(caller) if source is not None else None
        if known is not None and source is not None:
            try:
                data = await self._fused(context, source, operation, variables, known)
            except Exception as exc:  # a compiler bug: masked and logged like any unexpected error
                return _failed(exc), "compiled"
            if data is not None:
                return await self._result(context, data), "compiled"
        principal = await signed_in(ctx)
        if principal is None:
            self.callers.pop(caller, None)
            return None, "not signed in"
        self.callers.store(caller, principal.permissions)
        plan = self.plan(
            context.schema, query, operation, context.operation_name, variables, principal.permissions
        )
        if isinstance(plan, Refused):
            return None, plan.reason
        assert self._binder is not None
        try:
            shapes, params, counts = self._binder.bind(plan, variables, ctx)
        except NotCompilable as exc:
            return None, str(exc)
        text = _statement(plan, shapes, counts)
        started = time.perf_counter()
        try:
            raw = await ctx.uow.fetch_value(text, params)
        except Exception as exc:  # a compiler bug: masked and logged like any unexpected error
            return _failed(exc), "compiled"
        COMPILED_SECONDS.observe(time.perf_counter() - started)
        return await self._result(context, parse_json(raw)), "compiled"

    async def _fused(
        self,
        context: Any,
        source: Any,
        operation: Operation,
        variables: VariableValues,
        known: frozenset[str],
    ) -> Any:
        """The data, read in the principal lookup's statement; None to answer the usual way."""
        ctx: RequestContext = context.context
        claims = ctx.valid_claims()
        plan = self.plan(context.schema, context.query, operation, context.operation_name, variables, known)
        if isinstance(plan, Refused):
            return None
        assert self._binder is not None
        try:
            shapes, params, counts = self._binder.bind(plan, variables, ctx)
        except NotCompilable:
            return None
        text = plan.fused.get(shapes)
        if text is None:
            text = source.fused.replace("{data}", Renderer(plan, shapes, counts, base=3).data())
            if len(plan.fused) < MAX_VARIANTS:
                plan.fused[shapes] = text
        started = time.perf_counter()
        row = await single_statement(
            ctx.engine, text, [claims.tenant_id, claims.user_id, claims.session_id, *params]
        )
        COMPILED_SECONDS.observe(time.perf_counter() - started)
        caller = (claims.user_id, claims.session_id)
        try:
            principal = source.from_row(claims, row)
        except ClientError:
            self.callers.pop(caller, None)
            return None  # refused: the resolvers answer with the reason
        if principal.permissions != known:
            self.callers.store(caller, principal.permissions)
            return None  # planned for permissions the caller no longer has: plan again
        return None if row.data is None else parse_json(row.data)

    async def _result(self, context: Any, data: Any) -> ExecutionResult:
        if self.settings.compiled_reads_verify:
            return await self._verify(context, data)
        return ExecutionResult(data=data, errors=None)

    async def _verify(self, context: Any, data: Any) -> ExecutionResult:
        """Verify mode: the resolvers' answer must be the same, byte for byte."""
        result = execute_with_resolvers(
            context.schema._schema,
            context.graphql_document,
            context_value=context.context,
            variable_values=context.variables,
            operation_name=context.operation_name,
        )
        if hasattr(result, "__await__"):
            result = await result
        resolved = _dumps(result.data), [e.formatted for e in result.errors or ()]
        compiled: tuple[bytes, list[Any]] = (_dumps(data), [])
        if resolved == compiled:
            return ExecutionResult(data=data, errors=None)
        MISMATCHES.append(
            {
                "query": context.query,
                "variables": context.variables,
                "compiled": compiled,
                "resolved": resolved,
            }
        )
        log.error("compiled_read_mismatch", operation=context.operation_name)
        error = GraphQLError(
            "The compiled read differs from the resolvers' answer", extensions={"code": "COMPILER_MISMATCH"}
        )
        return ExecutionResult(data=None, errors=[error])


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


def _failed(exc: Exception) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[GraphQLError(type(exc).__name__, original_error=exc)])


def parse_json(text: str) -> Any:
    """The statement's JSON as Python values. orjson reads an integer past 64 bits as a
    float; the resolvers read JSON columns with the standard library, which keeps it whole."""
    return json.loads(text) if _LONG_NUMBER.search(text) else orjson.loads(text)


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer past 64 bits
        return json.dumps(value, separators=(",", ":")).encode()


def _statement(plan: Plan, shapes: tuple[Any, ...], counts: list[int]) -> str:
    """The statement for these argument shapes, rendered on first use."""
    text = plan.variants.get(shapes)
    if text is None:
        text = Renderer(plan, shapes, counts).statement()
        if len(plan.variants) < MAX_VARIANTS:
            plan.variants[shapes] = text
    return text


class CompiledReadsExtension(SchemaExtension):
    """Answers a query with its compiled statement when it can (before graphql-core would
    resolve it); counts compiled and resolved operations by name."""

    def __init__(self, shared: CompiledReads) -> None:
        self.shared = shared
        self.path = "resolved"
        self.reason = ""

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context
        if context.operation_type is OperationType.QUERY and isinstance(context.context, RequestContext):
            if self.shared.settings.compiled_reads:
                result, self.reason = await self.shared.answer(context)
                if result is not None:
                    context.result = result
                    self.path = "compiled"
            else:
                await signed_in(context.context)
                self.reason = "compiled reads are off"
        yield
        OPERATIONS.labels(context.operation_name or "anonymous", self.path).inc()

    def get_results(self) -> dict[str, Any]:
        if not self.shared.trace:
            return {}
        trace = {"execution": self.path} | ({"reason": self.reason} if self.path == "resolved" else {})
        return {"medgraph": trace}
