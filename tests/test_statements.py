"""Statements kept per shape: built once, each request's values bound by name."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from modules.tenancy import models as m
from schema.lists import any_of
from schema.statements import shaped

t = m.organizations


def _page(name: str, types: list[str], ids: list[uuid.UUID]):  # type: ignore[no-untyped-def]
    where = [t.c.name.ilike(name), t.c.type.in_(types), any_of(t.c.id, ids)]
    built: list[int] = []

    def build():  # type: ignore[no-untyped-def]
        built.append(1)
        return sa.select(t.c.id).where(*where)

    statement, params = shaped(("test-page", t), where, build)
    return statement, params, built


def test_one_statement_per_shape_with_this_requests_values():
    first_ids, second_ids = [uuid.uuid4()], [uuid.uuid4(), uuid.uuid4()]
    first, first_params, built = _page("%a%", ["clinic"], first_ids)
    second, second_params, rebuilt = _page("%b%", ["clinic", "hospital", "lab"], second_ids)
    assert second is first and rebuilt == []  # built once
    assert sorted(map(str, second_params.values())) == sorted(
        map(str, ["%b%", ["clinic", "hospital", "lab"], second_ids])
    )
    assert set(second_params) == set(first_params)
    compiled = second.compile()
    assert compiled.construct_params(second_params) != compiled.construct_params(first_params)


def test_another_structure_is_another_statement():
    first, _, _ = _page("%a%", ["clinic"], [uuid.uuid4()])
    where = [t.c.name.ilike("%a%")]
    other, params = shaped(("test-page", t), where, lambda: sa.select(t.c.id).where(*where))
    assert other is not first and list(params.values()) == ["%a%"]


def test_no_conditions_no_parameters():
    statement, params = shaped(("test-all", t), [], lambda: sa.select(t.c.id))
    again, _ = shaped(("test-all", t), [], lambda: sa.select(t.c.name))
    assert again is statement and params == {}
