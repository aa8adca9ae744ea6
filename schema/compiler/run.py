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

import re
import time
from dataclasses import dataclass
from typing import Any

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

from app.context import PrincipalSource, RequestContext
from app.db import single_statement
from app.errors import ClientError
from app.logging import get_logger, log_unexpected
from app.metrics import COMPILED_SECONDS, LATENCY, OPERATIONS, REQUESTS
from app.settings import Settings
from schema.compiler.bind import Binder
from schema.compiler.fields import SchemaIndex, directive_variables
from schema.compiler.plan import Plan, PlanCompiler
from schema.compiler.render import Renderer
from schema.compiler.sql import NotCompilable
from schema.compiler.support import LRU, Operation, Refused, dumps_json, failed_result, parse_json, signed_in
from schema.input_values import variables_problem

MAX_VARIANTS = 16  # statement texts kept per plan (argument shapes)
CALLERS = 10_000  # sessions whose principal is remembered, to plan (and scope) before the lookup
FAST_TRACE = b',"extensions":{"medgraph":{"execution":"compiled","lane":"fast"}}}'
MISMATCHES: list[dict[str, Any]] = []  # verify mode: every difference found (the tests read it)

log = get_logger("medgraph.compiler")


@dataclass(frozen=True, slots=True)
class Caller:
    """What this process remembers of a session: the permission set to plan with, and what
    the principal lookup's statement found (`PrincipalSource.remember`), for its cheap check;
    None until a fused lookup has run for it."""

    permissions: frozenset[str]
    remembered: tuple[Any, ...] | None = None


class CompiledReads:
    """What every request of one schema shares: the schema index and the caches."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.plans = LRU(settings.plan_cache_size)
        self.operations = LRU(settings.plan_cache_size)
        self.callers = LRU(CALLERS)  # (user, session) -> Caller
        self.trace = (
            settings.execution_info
            if settings.execution_info is not None
            else (settings.env == "development")
        )
        self._index: SchemaIndex | None = None
        self.schema: Any = None  # the Strawberry schema, known from the first request
        self._binder: Binder | None = None

    def extension(self) -> SchemaExtension:
        from schema.compiler.extension import CompiledReadsExtension

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
        self.schema = context.schema
        try:
            claims = ctx.valid_claims()
        except ClientError:
            return None, "not signed in"
        query, document = context.query, context.graphql_document
        # Keyed by the name the request gave (None for a document's only operation), as the
        # fast lane sees it.
        asked = getattr(context, "_provided_operation_name", None)
        operation = self._operation(query, document, asked)
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
                text = await self._fused(
                    context.schema, ctx, query, operation, asked, variables, source, known
                )
            except Exception as exc:  # a compiler bug: masked and logged like any unexpected error
                return failed_result(exc), "compiled"
            if text is not None:
                return await self._result(context, parse_json(text)), "compiled"
        principal = await signed_in(ctx)
        if principal is None:
            self.callers.pop(caller, None)
            return None, "not signed in"
        remembered = self.callers.lookup(caller)
        if remembered is None or remembered.permissions != principal.permissions:
            self.callers.store(caller, Caller(principal.permissions))
        plan = self.plan(context.schema, query, operation, asked, variables, principal.permissions)
        if isinstance(plan, Refused):
            return None, plan.reason
        if plan.fused_only:
            return None, "it reads the principal lookup's row: answered fused from the caller's next request"
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
            return failed_result(exc), "compiled"
        COMPILED_SECONDS.observe(time.perf_counter() - started)
        return await self._result(context, parse_json(raw)), "compiled"

    async def _fused(
        self,
        schema: Any,
        ctx: RequestContext,
        query: str,
        operation: Operation,
        operation_name: str | None,
        variables: VariableValues,
        source: PrincipalSource,
        known: Caller,
    ) -> str | None:
        """The data's JSON text, read in the statement that finds the principal; None to
        answer the usual way.

        A principal this process found before is only checked (`source.known`: still
        current, then the transaction scoped as before); otherwise, or if it changed since,
        it is looked up in full (`source.fused`), and remembered."""
        claims = ctx.valid_claims()
        plan = self.plan(schema, query, operation, operation_name, variables, known.permissions)
        if isinstance(plan, Refused):
            return None
        assert self._binder is not None
        try:
            shapes, params, counts = self._binder.bind(plan, variables, ctx)
        except NotCompilable:
            return None
        caller = (claims.user_id, claims.session_id)
        started = time.perf_counter()
        if known.remembered is not None and not plan.fused_only:
            text = _statement(plan, shapes, counts, fused=source.known)
            row = await single_statement(
                ctx.engine, text, [claims.tenant_id, claims.user_id, *known.remembered, *params]
            )
            if row is not None and row.current:
                COMPILED_SECONDS.observe(time.perf_counter() - started)
                return row.data  # type: ignore[no-any-return]
        text = _statement(plan, shapes, counts, fused=source.fused)
        row = await single_statement(
            ctx.engine, text, [claims.tenant_id, claims.user_id, claims.session_id, *params]
        )
        COMPILED_SECONDS.observe(time.perf_counter() - started)
        try:
            principal = source.from_row(claims, row)
        except ClientError:
            self.callers.pop(caller, None)
            return None  # refused: the resolvers answer with the reason
        self.callers.store(caller, Caller(principal.permissions, source.remember(principal, row)))
        if principal.permissions != known.permissions:
            return None  # planned for permissions the caller no longer has: plan again
        return row.data  # type: ignore[no-any-return]

    async def fast(
        self, ctx: RequestContext, query: str | None, variables: dict[str, Any] | None, name: str | None
    ) -> tuple[str, Operation] | None:
        """The data's JSON text, and the operation, for an HTTP request that needs nothing of the GraphQL
        pipeline: a query this process has validated and planned before (every limit and
        rule depends on the text alone), for a caller seen before, with variables that pass
        the same checks. None: the pipeline answers (and may find what this did not)."""
        if query is None or self.schema is None or not self.settings.compiled_reads:
            return None
        operation = self.operations.lookup((query, name))
        source = ctx.principal_source
        if operation is None or source is None or operation.node.operation.value != "query":
            return None
        if variables_problem(variables or {}) is not None:
            return None
        coerced = get_variable_values(
            self.schema._schema, operation.node.variable_definitions or (), variables or {}
        )
        if not isinstance(coerced, VariableValues):
            return None
        try:
            claims = ctx.valid_claims()
        except ClientError:
            return None
        known = self.callers.lookup((claims.user_id, claims.session_id))
        if known is None:
            return None
        try:
            text = await self._fused(self.schema, ctx, query, operation, name, coerced, source, known)
        except Exception as exc:  # noqa: BLE001 - the pipeline answers it again, and masks what fails
            log_unexpected(exc, stage="compiled fast lane")
            return None
        return None if text is None else (text, operation)

    @property
    def verify(self) -> bool:
        return self.settings.compiled_reads_verify

    async def respond(
        self, ctx: RequestContext, query: str, variables: dict[str, Any] | None, name: str | None
    ) -> bytes | None:
        """The fast lane's whole response body (`fast`): the data's JSON text as PostgreSQL
        wrote it, passed through, with the development trace when it is on."""
        started = time.perf_counter()
        found = await self.fast(ctx, query, variables, name)
        if found is None:
            return None
        text, operation = found
        label = name or (operation.node.name.value if operation.node.name else "anonymous")
        REQUESTS.labels(label, "query").inc()
        OPERATIONS.labels(label, "compiled").inc()
        LATENCY.labels("query").observe(time.perf_counter() - started)
        return b'{"data":' + text.encode() + (FAST_TRACE if self.trace else b"}")

    def differs(self, request: dict[str, Any], ours: Any, theirs: Any) -> None:
        """Verify mode: the pipeline answered a request of the fast lane otherwise."""
        _mismatch(request.get("query"), request.get("variables"), request.get("operationName"), ours, theirs)

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
        resolved = dumps_json(result.data), [e.formatted for e in result.errors or ()]
        compiled: tuple[bytes, list[Any]] = (dumps_json(data), [])
        if resolved == compiled:
            return ExecutionResult(data=data, errors=None)
        return _mismatch(context.query, context.variables, context.operation_name, compiled, resolved)


def _mismatch(query: Any, variables: Any, name: str | None, compiled: Any, resolved: Any) -> ExecutionResult:
    """Verify mode found two answers: recorded for the tests, logged, and an error."""
    MISMATCHES.append({"query": query, "variables": variables, "compiled": compiled, "resolved": resolved})
    log.error("compiled_read_mismatch", operation=name)
    error = GraphQLError(
        "The compiled read differs from the resolvers' answer", extensions={"code": "COMPILER_MISMATCH"}
    )
    return ExecutionResult(data=None, errors=[error])


def _statement(plan: Plan, shapes: tuple[Any, ...], counts: list[int], fused: str | None = None) -> str:
    """The statement for these argument shapes, rendered on first use: the read alone, or
    fused into a principal statement (`fused`, its `{data}` standing for the read, whose
    parameters then follow the principal statement's own)."""
    texts = plan.variants if fused is None else plan.fused
    key = shapes if fused is None else (fused, shapes)
    text = texts.get(key)
    if text is None:
        if fused is None:
            text = Renderer(plan, shapes, counts).statement()
        else:
            # $1 of a principal statement is the caller's tenant (see `PrincipalSource`).
            renderer = Renderer(plan, shapes, counts, base=_parameters(fused), tenant="$1::uuid")
            text = fused.replace("{data}", renderer.data())
        if len(texts) < 2 * MAX_VARIANTS:  # fused: two principal statements per shape
            texts[key] = text
    return text


def _parameters(template: str) -> int:
    """How many parameters a principal statement numbers before the read's."""
    return max(int(n) for n in re.findall(r"\$(\d+)", template))
