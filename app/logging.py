"""Structured JSON logs (structlog) with the request id bound per request.

Nothing logged here carries PHI: unexpected errors are logged by exception type
and stack frames only (see `log_unexpected`), never by message or local values.
"""

from __future__ import annotations

import logging
import sys
import traceback

import structlog


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(message)s")
    # Strawberry's own error logger prints exception messages, which may hold PHI.
    logging.getLogger("strawberry.execution").disabled = True


def get_logger(name: str = "medgraph") -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)


def safe_frames(exc: BaseException) -> list[str]:
    """Where an exception came from, as `file:line in function`, with no message or values."""
    frames = traceback.extract_tb(exc.__traceback__)
    return [f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno} in {f.name}" for f in frames[-8:]]


def log_unexpected(exc: BaseException, **fields: object) -> None:
    get_logger().error("unexpected_error", error_type=type(exc).__name__, frames=safe_frames(exc), **fields)
