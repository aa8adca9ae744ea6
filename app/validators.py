"""Input checks shared by every module's services. Each returns a message or None."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from app.errors import Problems

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[A-Za-z]{2,}$")
PHONE = re.compile(r"^\+?[0-9 ().-]{7,20}$")
POSTAL = re.compile(r"^[A-Za-z0-9 -]{3,10}$")
SLUG_KEY = re.compile(r"^[a-z][a-z0-9_]{1,49}$")
TAXONOMY = re.compile(r"^[0-9]{3}[0-9A-Z]{6}[0-9A-Z]$")
URL = re.compile(r"https?://[^\s/$.?#][^\s]{0,1990}")


def npi_is_valid(npi: str) -> bool:
    """A US National Provider Identifier: 10 digits, Luhn check over the '80840' prefix."""
    if not re.fullmatch(r"[0-9]{10}", npi):
        return False
    total = 24  # the '80840' prefix contributes 24 to the Luhn sum
    for i, ch in enumerate(reversed(npi[:-1])):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10 == int(npi[-1])


def timezone_is_valid(name: str) -> bool:
    if len(name) > 64:  # the longest IANA name is 32; a long one fails as a file name (OSError)
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


class Check:
    """Field checks that add problems to a collector; each skips a None value."""

    def __init__(self, problems: Problems, prefix: str = "input") -> None:
        self.problems = problems
        self.prefix = prefix

    def _field(self, name: str) -> str:
        return f"{self.prefix}.{name}"

    def present(
        self,
        values: dict[str, object],
        not_null: Iterable[str],
        required: Iterable[str] = (),
        creating: bool = False,
    ) -> None:
        """REQUIRED for a `required` field missing on create, and for any `not_null` field sent
        as null (on create or update): the one place requiredness is decided."""
        required = set(required)
        for name in dict.fromkeys([*required, *not_null]):
            if (creating and name in required and name not in values) or (
                name in values and values[name] is None
            ):
                self.problems.add(self._field(name), "REQUIRED", "This field is required")

    def text(self, name: str, value: str | None, *, required: bool = False, max_len: int = 200) -> None:
        if value is None:
            if required:
                self.problems.add(self._field(name), "REQUIRED", "This field is required")
            return
        if not value.strip():
            self.problems.add(self._field(name), "REQUIRED", "This field must not be blank")
        elif len(value) > max_len:
            self.problems.add(self._field(name), "TOO_LONG", f"At most {max_len} characters")

    def pattern(self, name: str, value: str | None, regex: re.Pattern[str], what: str) -> None:
        if value is not None and not regex.fullmatch(value.strip()):
            self.problems.add(self._field(name), "INVALID", f"Not a valid {what}")

    def email(self, name: str, value: str | None) -> None:
        self.pattern(name, value, EMAIL, "email address")

    def phone(self, name: str, value: str | None) -> None:
        self.pattern(name, value, PHONE, "phone number")

    def npi(self, name: str, value: str | None) -> None:
        if value is not None and not npi_is_valid(value):
            self.problems.add(self._field(name), "INVALID", "Not a valid NPI (10 digits, check digit)")

    def timezone(self, name: str, value: str | None) -> None:
        if value is not None and not timezone_is_valid(value):
            self.problems.add(self._field(name), "INVALID", "Not an IANA time zone name")

    def json_object(self, name: str, value: object, max_bytes: int = 16 * 1024) -> None:
        """A JSON object, small enough to store and to copy into every audit row of a change."""
        if value is None:
            return
        if not isinstance(value, dict):
            self.problems.add(self._field(name), "INVALID", "Must be a JSON object")
        elif len(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)) > max_bytes:
            self.problems.add(self._field(name), "TOO_LONG", f"At most {max_bytes} bytes of JSON")

    def decimal(
        self, name: str, value: Decimal | None, *, digits: int, places: int, positive: bool = False
    ) -> None:
        """A value its NUMERIC(digits, places) column stores as given: finite, not negative
        (or more than zero), at most `places` decimals (more would be rounded, perhaps to
        zero) and below 10^(digits - places)."""
        if value is None:
            return
        largest = Decimal(10) ** (digits - places) - Decimal(1).scaleb(-places)
        if not value.is_finite():
            self.problems.add(self._field(name), "INVALID", "Not a number")
        elif value < 0 or (positive and value == 0):
            message = "Must be more than zero" if positive else "Must not be negative"
            self.problems.add(self._field(name), "NEGATIVE", message)
        elif value > largest or value.as_tuple().exponent < -places:  # type: ignore[operator]
            self.problems.add(self._field(name), "INVALID", f"At most {largest} with {places} decimal places")

    def percent(self, name: str, value: Decimal | None) -> None:
        """A percentage from 0 to 100 with at most two decimals."""
        if value is None:
            return
        if not value.is_finite():
            self.problems.add(self._field(name), "INVALID", "Not a number")
        elif value < 0:
            self.problems.add(self._field(name), "NEGATIVE", "Must not be negative")
        elif value > 100 or value.as_tuple().exponent < -2:  # type: ignore[operator]
            self.problems.add(self._field(name), "INVALID", "A percentage from 0 to 100, two decimal places")

    def not_found(self, name: str, what: str) -> None:
        self.problems.add(self._field(name), "NOT_FOUND", f"No {what} with this ID")
