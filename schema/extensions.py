"""Schema extensions that wrap every operation: transaction, PHI log, metrics, masking."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import AsyncIterator

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types.graphql import OperationType

from app.context import RequestContext
from app.errors import ClientError
from app.logging import log_unexpected
from app.metrics import ERRORS, LATENCY, REQUESTS
from app.phi_log import flush_phi_access


def is_unexpected(error: GraphQLError) -> bool:
    """Errors from our own code that were not meant for the client."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError | ClientError)


class RequestLifecycle(SchemaExtension):
    """Ends the request's unit of work: writes the PHI access rows, then commits.

    The PHI access rows are written in the same transaction as the reads they
    record, so a read that is served is always logged. A query or mutation ends its
    unit of work as soon as it has executed, before its result is handed to the
    transport: over a websocket the result is sent while the operation is still open,
    and a client that completes or leaves right after receiving it would otherwise
    cancel the commit of what it was just shown (its PHI access rows, its mutation).
    A subscription keeps its unit of work until it ends.
    """

    finished = False  # per request: each gets an instance of its own

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        ctx = self.execution_context.context
        started = time.perf_counter()
        query = self.execution_context.query or ""
        if isinstance(ctx, RequestContext):
            ctx.operation_hash = hashlib.sha256(query.encode()).hexdigest()
        try:
            yield
        except BaseException:
            # A stream abandoned early (a refused subscription) or a cancelled request:
            # give the connection back now rather than at garbage collection.
            if isinstance(ctx, RequestContext):
                await ctx.uow.finish(commit=False)
            raise
        kind = "unknown"
        with contextlib.suppress(Exception):  # not parsed: the operation type is unknown
            kind = self.execution_context.operation_type.value
        REQUESTS.labels(self.execution_context.operation_name or "anonymous", kind).inc()
        try:
            await self._finish()
        finally:
            LATENCY.labels(kind).observe(time.perf_counter() - started)

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        yield
        if self.execution_context.operation_type is not OperationType.SUBSCRIPTION:
            await self._finish()

    async def _finish(self) -> None:
        ctx = self.execution_context.context
        if self.finished or not isinstance(ctx, RequestContext):
            return
        self.finished = True
        ctx.operation_name = self.execution_context.operation_name  # known once parsed
        result = self.execution_context.result
        try:
            if result is not None and getattr(result, "data", True) is None:
                # Nothing reached the client, so nothing is kept: a document is all or nothing.
                # (A field whose error nulls the whole response may also have had graphql-core
                # cancel its siblings mid-statement, which leaves the transaction unusable.)
                await ctx.uow.finish(commit=False)
            else:
                if ctx.phi.fields_by_patient:
                    await flush_phi_access(ctx)
                await ctx.uow.finish(commit=True)
        except Exception as exc:
            await ctx.uow.finish(commit=False)
            log_unexpected(exc, request_id=ctx.request_id, stage="commit")
            # Raised past the masking extension: mask it here; the message may carry data.
            raise unexpected_error(ctx.request_id) from None


class MaskUnexpectedErrors(MaskErrors):
    """Shows clients "Unexpected error" with the request id; keeps client errors readable."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = getattr(self.execution_context.context, "request_id", None)
        return unexpected_error(request_id, error)


def unexpected_error(request_id: str | None, error: GraphQLError | None = None) -> GraphQLError:
    """What a client sees of an unexpected error: the request id, to quote to support."""
    return GraphQLError(
        message=f"Unexpected error (request id {request_id})" if request_id else "Unexpected error",
        nodes=error.nodes if error else None,
        path=error.path if error else None,
        extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    )


def mask_unexpected() -> MaskUnexpectedErrors:
    return MaskUnexpectedErrors(should_mask_error=is_unexpected)


def count_errors(errors: list[GraphQLError]) -> None:
    for error in errors:
        if is_unexpected(error):
            ERRORS.labels("unexpected").inc()
        elif error.original_error is None:
            ERRORS.labels("validation").inc()
        else:
            ERRORS.labels((error.extensions or {}).get("code", "client")).inc()
