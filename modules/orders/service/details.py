"""Checks of an order's details (everything but its parties and items), as a draft is
created or edited."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import orjson

from app.errors import Problems
from app.validators import Check

EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
POS = re.compile(r"[0-9]{2}")
CPT = re.compile(r"[0-9A-Z]{5}")
PTAN = re.compile(r"[0-9A-Z-]{1,20}")
MAC = re.compile(r"[0-9A-Z]{1,10}")
TEXTS = {
    "delivery_instructions": 1000,
    "notes": 4000,
    "internal_notes": 4000,
    "payer_name": 200,
    "payer_identifier": 100,
    "subscriber_name": 200,
}
DATES = ("service_date", "requested_delivery_date", "global_period_surgery_date")


def _whole(problems: Problems, name: str, value: int | None, most: int) -> None:
    if value is not None and not 0 <= value <= most:
        problems.add(
            f"input.{name}", "NEGATIVE" if value < 0 else "INVALID", f"A whole number from 0 to {most}"
        )


def check_details(values: dict[str, Any]) -> None:
    """Every detail given has its form; all problems are reported together."""
    problems = Problems()
    check = Check(problems)
    for name, most in TEXTS.items():
        check.text(name, values.get(name), max_len=most)
    check.phone("payer_phone", values.get("payer_phone"))
    check.pattern("place_of_service", values.get("place_of_service"), POS, "place-of-service code (2 digits)")
    check.pattern("global_period_cpt", values.get("global_period_cpt"), CPT, "CPT code (5 characters)")
    for name in ("provider_ptan", "facility_ptan"):
        check.pattern(name, values.get(name), PTAN, "PTAN")
    check.pattern("mac_jurisdiction", values.get("mac_jurisdiction"), MAC, "MAC jurisdiction")
    for name in DATES:
        day = values.get(name)
        if day is not None and not EARLIEST <= day <= LATEST:
            problems.add(f"input.{name}", "INVALID", "A date between 2000 and 2100")
    born = values.get("subscriber_date_of_birth")
    if born is not None and not dt.date(1900, 1, 1) <= born <= dt.date.today():
        problems.add("input.subscriber_date_of_birth", "INVALID", "A date of birth between 1900 and today")
    # Wound measures in cm, NUMERIC(6,2): length and width more than zero, depth maybe zero.
    check.decimal("wound_length_cm", values.get("wound_length_cm"), digits=6, places=2, positive=True)
    check.decimal("wound_width_cm", values.get("wound_width_cm"), digits=6, places=2, positive=True)
    check.decimal("wound_depth_cm", values.get("wound_depth_cm"), digits=6, places=2)
    _whole(problems, "treatment_duration_weeks", values.get("treatment_duration_weeks"), 520)
    _whole(problems, "snf_days", values.get("snf_days"), 1000)
    check.json_object("metadata", values.get("metadata"))
    treatments = values.get("previous_treatments")
    if treatments is not None:
        if not isinstance(treatments, list):
            problems.add("input.previous_treatments", "INVALID", "Must be a JSON list")
        elif len(orjson.dumps(treatments)) > 16 * 1024:
            problems.add("input.previous_treatments", "TOO_LONG", "At most 16384 bytes of JSON")
    problems.raise_if_any()
    for flag in ("snf_status", "hospice_status", "part_a_status", "global_period_status"):
        if flag in values and values[flag] is None:
            problems.add(f"input.{flag}", "REQUIRED", "True or false")
    for listed in ("metadata", "previous_treatments"):
        if listed in values and values[listed] is None:
            problems.add(f"input.{listed}", "REQUIRED", "Send an empty value instead of null")
    problems.raise_if_any()
