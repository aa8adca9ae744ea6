"""The workflow's rules, read from the service itself (no GraphQL): which step is legal
from which status, that only the system moves an order out of `submitted`, and how an
item is priced."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from app.errors import InputInvalid
from modules.orders.service.items import unit_price
from modules.orders.service.workflow import EDITABLE, STEPS, allowed, editable
from modules.orders.types.enums import OrderStatus

STATUSES = [s.value for s in OrderStatus]


@pytest.mark.parametrize("mutation", sorted(STEPS))
def test_each_step_is_legal_only_from_its_sources(mutation):
    step = STEPS[mutation]
    for status in STATUSES:
        order = SimpleNamespace(status=status)
        if status in step.sources:
            assert allowed(order, mutation) is step
        else:
            with pytest.raises(InputInvalid) as refused:
                allowed(order, mutation)
            (problem,) = refused.value.problems
            assert (problem.field, problem.code) == ("id", "ILLEGAL_TRANSITION")


def test_the_workflow_reaches_every_status_and_ends_where_it_should():
    targets = {step.target for step in STEPS.values()} | {"draft"}
    assert targets == set(STATUSES)
    sources = {status for step in STEPS.values() for status in step.sources}
    assert set(STATUSES) - sources == {"delivered", "rejected", "cancelled"}  # the final ones
    system = {name for name, step in STEPS.items() if step.permission is None}
    assert system == {"checksPassed", "checksFailed"}  # only the checks leave `submitted`
    assert {STEPS[name].sources for name in system} == {("submitted",)}
    assert {name for name, step in STEPS.items() if step.reason_required} == {"rejectOrder", "cancelOrder"}


def test_only_drafts_and_orders_needing_attention_are_edited():
    for status in STATUSES:
        if status in EDITABLE:
            editable(SimpleNamespace(status=status))
        else:
            with pytest.raises(InputInvalid):
                editable(SimpleNamespace(status=status))


def test_item_prices():
    sheet = SimpleNamespace(price_per_cm2=Decimal("12.3456"), national_asp=Decimal("99.00"))
    size = SimpleNamespace(area_cm2=Decimal("1.77"))
    assert unit_price(sheet, size) == Decimal("21.85")  # 21.851712, to the cent
    assert unit_price(sheet, None) == Decimal("99.00")  # no size: the unit price
    unsized = SimpleNamespace(price_per_cm2=None, national_asp=Decimal("40.10"))
    assert unit_price(unsized, size) == Decimal("40.10")
    assert unit_price(SimpleNamespace(price_per_cm2=None, national_asp=None), None) is None
