"""The root schema: the installed modules' Query, Mutation and Subscription classes
merged, plus Relay's node fields, the operation limits and the request lifecycle.

It is handed the list of modules (`medgraph/installed.py`); it imports none itself."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncGenerator, Sequence
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, ExecutionResult, Info
from strawberry.types.graphql import OperationType

from app.logging import log_unexpected
from app.settings import Settings
from schema.compiler import CompiledReads
from schema.documents import DocumentPipeline
from schema.entities import bind_relations, spec_of
from schema.extensions import RequestLifecycle, count_errors, is_unexpected, mask_unexpected
from schema.input_values import RejectUnstorableVariables, StorableLiteralsRule
from schema.module import Module
from schema.node import register_node, resolve_node, resolve_nodes
from schema.permissions import authenticated
from schema.relay import GLOBAL_ID_SCALAR, Node, to_global_id


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global ID; null if not found or not visible.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(description="Up to 100 objects by global ID, in order.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        return await resolve_nodes(info, ids)


@strawberry.type
class Heartbeat:
    at: dt.datetime
    user_id: strawberry.ID


@strawberry.type
class CoreSubscription:
    @strawberry.subscription(
        extensions=authenticated(), description="A tick every few seconds while the session is valid."
    )
    async def heartbeat(self, info: Info, interval_seconds: int = 15) -> AsyncGenerator[Heartbeat, None]:
        """Each tick re-checks the caller in a transaction of its own, so a user deactivated
        since subscribing stops receiving at the next tick."""
        interval = min(max(interval_seconds, 1), 60)
        await info.context.uow.finish()  # the permission check's transaction is done
        for _ in range(10_000):
            tick = info.context.fork()
            try:
                principal = await tick.principal()
            except BaseException:
                # Refused, or the client left mid-tick (cancelled, perhaps mid-statement):
                # roll back rather than commit a transaction that may be broken.
                await tick.uow.finish(commit=False)
                raise
            await tick.uow.finish()
            user_id = strawberry.ID(to_global_id("User", principal.user_id))
            yield Heartbeat(at=dt.datetime.now(dt.UTC), user_id=user_id)
            await asyncio.sleep(interval)


class MedgraphSchema(strawberry.Schema):
    compiled_reads: CompiledReads | None = None

    async def execute(self, query: str | None, **kwargs: Any) -> ExecutionResult:  # type: ignore[override]
        """Single results, for HTTP: subscriptions run over websockets only, so a subscription
        sent by POST is refused as the request's error (400), never started."""
        allowed = set(kwargs.get("allowed_operation_types") or OperationType)
        kwargs["allowed_operation_types"] = allowed - {OperationType.SUBSCRIPTION}
        return await super().execute(query, **kwargs)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log unexpected errors by type and frames only: messages may carry PHI."""
        count_errors(errors)
        request_id = getattr(getattr(execution_context, "context", None), "request_id", None)
        for error in errors:
            if is_unexpected(error):
                assert error.original_error is not None
                log_unexpected(
                    error.original_error, request_id=request_id, path=[str(p) for p in error.path or ()]
                )


def build_schema(settings: Settings, modules: Sequence[Module]) -> strawberry.Schema:
    parts = [module.schema() for module in modules]
    nodes = [node for part in parts for node in part.nodes]
    bind_relations([*nodes, *(q for part in parts for q in part.queries)])
    for node in nodes:
        spec = spec_of(node)
        assert spec.node_permission is not None, (
            f"{node.__name__} is listed as a node but declares no `node=`"
        )
        register_node(spec.type_name, spec.table, spec.from_row, spec.node_permission)
    query = merge_types("Query", (NodeQuery, *(q for part in parts for q in part.queries)))
    mutation = merge_types("Mutation", tuple(m for part in parts for m in part.mutations))
    subscription = merge_types(
        "Subscription", (CoreSubscription, *(s for part in parts for s in part.subscriptions))
    )
    rules: list[type[ASTValidationRule]] = [StorableLiteralsRule]
    if not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    documents = DocumentPipeline(settings, rules)
    compiled = CompiledReads(settings)
    schema = MedgraphSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=nodes,
        config=StrawberryConfig(disable_field_suggestions=not settings.field_suggestions),
        scalar_overrides={strawberry.ID: GLOBAL_ID_SCALAR},
        extensions=[
            # Factories, not instances: each request gets its own extension objects
            # (the document cache behind the gate is shared).
            RequestLifecycle,
            documents.extension,
            RejectUnstorableVariables,
            compiled.extension,
            mask_unexpected,
        ],
    )
    schema.compiled_reads = compiled  # the HTTP endpoint's fast lane (app/http.py)
    return schema
