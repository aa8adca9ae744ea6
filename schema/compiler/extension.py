"""The schema extension that answers a query with its compiled statement when it can
(before graphql-core would resolve it), and counts compiled and resolved operations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.context import RequestContext
from app.metrics import OPERATIONS
from schema.compiler.support import signed_in

if TYPE_CHECKING:
    from schema.compiler.run import CompiledReads


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
