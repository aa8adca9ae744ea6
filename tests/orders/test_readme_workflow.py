"""The README's orders section agrees with the code, so the documentation cannot drift:
its workflow table and state diagram with `STEPS`, its permissions table with the grants,
its events with the module's."""

from __future__ import annotations

import re
from pathlib import Path

from strawberry.utils.str_converters import to_camel_case

from modules.orders import GRANTS, PERMISSIONS
from modules.orders.events import EVENTS
from modules.orders.schema.mutations import OrdersMutation
from modules.orders.service.workflow import STEPS
from schema.module import BASELINE_ROLES

README = Path(__file__).resolve().parents[2] / "README.md"
WORKFLOW_HEADER = "| mutation | from | to | permission | what else happens |"
PERMISSIONS_HEADER = "| permission | allows | baseline roles (owner and admin hold all) |"
# Mutations in the workflow table that change an order without moving its status.
EDITS = {"createOrder", "updateOrder", "addOrderItem", "updateOrderItem", "removeOrderItem"}


def _section() -> str:
    text = README.read_text()
    start = text.index("\n## Orders (`modules/orders/`)")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def _table(header: str) -> list[list[str]]:
    lines = _section().splitlines()
    at = lines.index(header)
    assert re.fullmatch(r"(\|---)+\|", lines[at + 1]), lines[at + 1]
    rows = []
    for line in lines[at + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def _names(cell: str) -> list[str]:
    """The `code` spans of a cell, in order."""
    return re.findall(r"`([^`]+)`", cell)


def _workflow() -> dict[str, tuple[set[str], str, str | None]]:
    """Mutation -> (from-statuses, target, permission) as the README's table says."""
    documented = {}
    for row in _workflow_rows():
        mutations, sources, target, permission, _ = row
        for mutation in _names(mutations):
            assert mutation not in documented, f"{mutation} has two rows"
            (to,) = _names(target) or [target]
            permissions = _names(permission)
            documented[mutation] = (set(_names(sources)), to, permissions[0] if permissions else None)
    return documented


def _workflow_rows() -> list[list[str]]:
    rows = _table(WORKFLOW_HEADER)
    assert all(len(row) == 5 for row in rows), rows
    return rows


def test_every_step_is_in_the_table_as_the_workflow_has_it():
    documented = _workflow()
    for name, step in STEPS.items():
        assert name in documented, f"the README's workflow table has no row for {name}"
        sources, target, permission = documented[name]
        assert sources == set(step.sources), (name, sources, step.sources)
        assert target == step.target, (name, target, step.target)
        assert permission == step.permission, (name, permission, step.permission)


def test_the_table_names_only_steps_and_edits_that_exist():
    documented = _workflow()
    assert set(documented) == set(STEPS) | EDITS
    definition = OrdersMutation.__strawberry_definition__  # type: ignore[attr-defined]
    fields = {to_camel_case(f.python_name) for f in definition.fields}
    clients = {name for name, step in STEPS.items() if step.permission is not None} | EDITS
    assert clients <= fields, clients - fields
    for edit in EDITS:
        sources, target, permission = documented[edit]
        assert permission == "orders.create"
        if edit != "createOrder":
            assert sources == {"draft", "needs_attention"} and target == "(unchanged)"


def test_the_state_diagram_draws_every_move_but_cancelling():
    section = _section()
    diagram = section[section.index("```mermaid") : section.index("```", section.index("```mermaid") + 3)]
    edges = set(re.findall(r"^\s*(\w+) --> (\w+)", diagram, re.M))
    for name, step in STEPS.items():
        if name == "cancelOrder":
            assert "cancelOrder" in diagram
            continue
        for source in step.sources:
            if source != step.target:
                assert (source, step.target) in edges, (name, source, step.target)
        if step.permission is not None:
            assert re.search(rf"--> {step.target}: {name}\b", diagram), name


def test_the_permissions_table_agrees_with_the_grants():
    label = {key: name.lower() for key, name in BASELINE_ROLES.items()}
    label["sales_rep"] = "sales rep"
    rows = _table(PERMISSIONS_HEADER)
    assert [_names(row[0])[0] for row in rows] == list(PERMISSIONS)
    for row in rows:
        key = _names(row[0])[0]
        holders = {role.strip() for role in row[2].split(",")}
        expected = {label[role] for role, keys in GRANTS.items() if key in keys}
        assert holders == expected, (key, holders, expected)


def test_every_event_is_named():
    section = _section()
    for event in EVENTS:
        assert f"`{event.name}`" in section, event.name
