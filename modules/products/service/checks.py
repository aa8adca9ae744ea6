"""Input checks the catalog's services share: codes by coding system, money, URLs, lists."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from app.validators import EMAIL, URL, Check

HCPCS = re.compile(r"[A-Z][0-9]{4}")
NDC = re.compile(
    r"[0-9]{4}-[0-9]{4}-[0-9]{2}|[0-9]{5}-[0-9]{3}-[0-9]{2}|[0-9]{5}-[0-9]{4}-[0-9]{1,2}|[0-9]{11}"
)
HIBCC = re.compile(r"\+[A-Z][A-Z0-9]{3}[A-Z0-9]{1,18}")
CUSTOM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,49}")


def _at(check: Check, name: str) -> str:
    return f"{check.prefix}.{name}"


def gtin_is_valid(digits: str) -> bool:
    """A GS1 GTIN-12/13/14 (the UPN of most devices): digits with a mod-10 check digit."""
    if not re.fullmatch(r"[0-9]{12,14}", digits):
        return False
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


CODE_RULES = {
    "hcpcs": ("one letter and four digits, e.g. Q4186", lambda c: HCPCS.fullmatch(c) is not None),
    "ndc": (
        "an NDC in the 4-4-2, 5-3-2, 5-4-1 or 5-4-2 form, or 11 digits",
        lambda c: NDC.fullmatch(c) is not None,
    ),
    "upn": (
        "a GTIN of 12 to 14 digits with its check digit, or a HIBCC code starting with +",
        lambda c: gtin_is_valid(c) or HIBCC.fullmatch(c) is not None,
    ),
    "custom": ("letters, digits and . _ / - (at most 50)", lambda c: CUSTOM.fullmatch(c) is not None),
}


def check_code(problems: Any, code: str | None, code_type: str | None) -> None:
    """A code and its type come together, and the code has its system's form."""
    if (code is None) != (code_type is None):
        missing = "codeType" if code_type is None else "code"
        problems.add(f"input.{missing}", "REQUIRED", "A code and its code type are given together")
        return
    if code is None or code_type is None:
        return
    what, valid = CODE_RULES[code_type]
    if not valid(code):
        problems.add("input.code", "INVALID", f"Not a valid {code_type.upper()} code: expected {what}")


def check_money(check: Check, name: str, value: Decimal | None, *, places: int = 2) -> None:
    """Money in a NUMERIC(12, places) column."""
    check.decimal(name, value, digits=12, places=places)


def check_emails(check: Check, name: str, values: list[str] | None, max_items: int = 20) -> None:
    if values is None:
        return
    if len(values) > max_items:
        check.problems.add(_at(check, name), "TOO_LONG", f"At most {max_items} addresses")
    for i, value in enumerate(values):
        if not EMAIL.fullmatch(value.strip()):
            check.problems.add(_at(check, f"{name}.{i}"), "INVALID", "Not a valid email address")


def check_urls(check: Check, name: str, values: list[str] | None, max_items: int = 20) -> None:
    if values is None:
        return
    if len(values) > max_items:
        check.problems.add(_at(check, name), "TOO_LONG", f"At most {max_items} URLs")
    for i, value in enumerate(values):
        if not URL.fullmatch(value):
            check.problems.add(_at(check, f"{name}.{i}"), "INVALID", "Not an http(s) URL")


def check_words(check: Check, name: str, values: list[str] | None, max_items: int = 30) -> None:
    """Short tokens (document types, say)."""
    if values is None:
        return
    if len(values) > max_items:
        check.problems.add(_at(check, name), "TOO_LONG", f"At most {max_items} items")
    for i, value in enumerate(values):
        check.text(f"{name}.{i}", value, max_len=100)
