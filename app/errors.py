"""Errors the API shows to clients as they are (everything else is masked), and the
domain error every service raises for bad input.

Top-level errors carry a stable `extensions.code`. Mutation input problems are
not top-level errors: services raise `InputInvalid`, and the mutation runner
(`schema/mutations.py`) turns its problems into each payload's typed `errors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from graphql import GraphQLError


class ClientError(GraphQLError):
    """An error whose message is written for the client and safe to show."""

    code = "BAD_REQUEST"

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": self.code})


class AuthenticationError(ClientError):
    code = "UNAUTHENTICATED"


class PermissionDenied(ClientError):
    code = "FORBIDDEN"


class InvalidIdError(ClientError):
    code = "INVALID_ID"


class InputLimitError(ClientError):
    code = "BAD_USER_INPUT"


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One problem with one input field: becomes a typed error in a mutation payload."""

    field: str | None
    code: str
    message: str


class InputInvalid(Exception):
    """Raised by services: the input is wrong; nothing was changed."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__(f"{len(problems)} input problem(s)")
        self.problems = problems


class Problems:
    """Collects field problems so a service reports all of them at once."""

    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, field: str | None, code: str, message: str) -> None:
        self.items.append(FieldProblem(field, code, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise InputInvalid(self.items)


def raise_problem(field: str, code: str, message: str) -> NoReturn:
    """One problem with one input field (`id`, or a field of `input`), raised at once."""
    path = "id" if field == "id" else f"input.{field}"
    raise InputInvalid([FieldProblem(path, code, message)])


def raise_not_found(field: str, what: str) -> NoReturn:
    raise_problem(field, "NOT_FOUND", f"No {what} with this ID")
