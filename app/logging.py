"""Structured JSON logs (structlog) with the request id bound per request.

Nothing logged here carries PHI: unexpected errors are logged by exception type
and stack frames only (see `log_unexpected`), never by message or local values.
Records of the standard library's loggers (uvicorn, asyncio, SQLAlchemy) go through
the same renderer, so every line is one JSON object, and an exception attached to
one is reduced to its type and frames as well: no multi-line traceback, no message.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import MutableMapping
from typing import Any

import structlog


def _exception_as_frames(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    exc_info = event.pop("exc_info", None)
    if exc_info is True:
        exc_info = sys.exc_info()
    exc = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    if isinstance(exc, BaseException):
        event.update(safe_exception(exc))
        # asyncio's "Task exception was never retrieved" goes on with the exception's repr.
        event["event"] = str(event.get("event", "")).split("\n", 1)[0]
    event.pop("stack_info", None)
    return event


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, _exception_as_frames, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                _exception_as_frames,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.WARNING)
    # Strawberry's own error logger prints exception messages, which may hold PHI.
    logging.getLogger("strawberry.execution").disabled = True


def get_logger(name: str = "medgraph") -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)


def safe_frames(exc: BaseException) -> list[str]:
    """Where an exception came from, as `file:line in function`, with no message or values."""
    frames = traceback.extract_tb(exc.__traceback__)
    return [f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno} in {f.name}" for f in frames[-8:]]


def safe_exception(exc: BaseException) -> dict[str, Any]:
    """An exception as it may be logged: its type and frames, never its message."""
    return {"error_type": type(exc).__name__, "frames": safe_frames(exc)}


def log_unexpected(exc: BaseException, **fields: object) -> None:
    get_logger().error("unexpected_error", **safe_exception(exc), **fields)
