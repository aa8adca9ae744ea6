"""The submission-check pipeline: what runs on orders when they are submitted.

Any module registers checks here without the orders module knowing it (orders imports no
other module's checks):

    from modules.orders import SUBMISSION_CHECKS, CheckResult

    @SUBMISSION_CHECKS.register("verifications.coverage_current")
    async def coverage_current(conn, batch):
        covered = ...  # one query for the whole batch
        return [
            CheckResult.passed() if under.order.patient_id in covered
            else CheckResult.fail("No verified coverage for this manufacturer")
            for under in batch
        ]

The intake checks submitted orders in batches (a worker takes up to a hundred at once), so
a check receives a batch: the orders as they are being submitted (`OrderUnderCheck`: an
order's row and its items' rows), on the connection of the intake, scoped to their
tenant. It answers one result per order, in the batch's order: pass, warn or fail with
its reasons. Ask the database once for the whole batch, not once per order: that is
what lets one worker check hundreds of orders a second. Reasons are shown to the
provider and admins: they name products and rules, never a patient's details. Checks
run one after another on that one connection, in the order they were registered; an
order with any `fail` needs attention, with the failures' reasons stored on it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

OUTCOMES = ("pass", "warn", "fail")


@dataclass(frozen=True)
class CheckResult:
    outcome: str
    reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"a check's outcome is one of {OUTCOMES}, not {self.outcome!r}")

    @classmethod
    def passed(cls, *reasons: str) -> CheckResult:
        return cls("pass", reasons)

    @classmethod
    def warn(cls, *reasons: str) -> CheckResult:
        return cls("warn", reasons)

    @classmethod
    def fail(cls, *reasons: str) -> CheckResult:
        return cls("fail", reasons)


@dataclass(frozen=True)
class OrderUnderCheck:
    """The order being submitted: its row, and its items' rows in order."""

    order: Any
    items: Sequence[Any]


Check = Callable[[AsyncConnection, Sequence[OrderUnderCheck]], Awaitable[Sequence[CheckResult]]]


class SubmissionChecks:
    """The registry: check key (`module.what_it_checks`) -> check."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def register(self, key: str) -> Callable[[Check], Check]:
        def add(check: Check) -> Check:
            if key in self._checks:
                raise ValueError(f"submission check {key!r} is registered twice")
            if "." not in key:
                raise ValueError(f"name a submission check `module.what_it_checks`, not {key!r}")
            self._checks[key] = check
            return check

        return add

    def names(self) -> list[str]:
        return list(self._checks)

    @contextmanager
    def registered(self, key: str, check: Check) -> Iterator[None]:
        """A check registered for the duration of a block (tests of the pipeline itself)."""
        self.register(key)(check)
        try:
            yield
        finally:
            del self._checks[key]

    async def run(
        self, conn: AsyncConnection, batch: Sequence[OrderUnderCheck]
    ) -> list[list[tuple[str, CheckResult]]]:
        """Every check on the batch: for each order, in the batch's order, each check's
        key and result."""
        results: list[list[tuple[str, CheckResult]]] = [[] for _ in batch]
        for key, check in self._checks.items():
            answers = list(await check(conn, batch))
            if len(answers) != len(batch):
                raise TypeError(
                    f"submission check {key} answered {len(answers)} results for {len(batch)} orders"
                )
            for found, result in zip(results, answers, strict=True):
                if not isinstance(result, CheckResult):
                    raise TypeError(
                        f"submission check {key} answered {type(result).__name__}, not a CheckResult"
                    )
                found.append((key, result))
        return results


SUBMISSION_CHECKS = SubmissionChecks()
