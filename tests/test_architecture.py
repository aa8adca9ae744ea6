"""The layers, read from the source: who may import whom, and no import circles.

- `app/` (plumbing) imports only `app/`;
- `schema/` (shared GraphQL conventions) imports `app/` and `schema/`, never a module;
- `modules/<name>/` imports `app/`, `schema/`, its own files, and another module only
  through that module's `__init__.py`;
- `medgraph/` (the composition root) and `migrations/env.py` may import anything;
  a migration revision (the kernel's, or a module's own) imports only `app/` and
  `migrations/rls.py`.

Imports under `if TYPE_CHECKING:` are for the type checker and are not counted; imports
inside functions are.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "schema", "modules", "medgraph", "migrations")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            for other in child.orelse:
                yield other
                yield from _walk(other)
            continue
        yield child
        yield from _walk(child)


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `name` imports (`from pkg import submodule` counts as the
    submodule)."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return {f for f in found if f.split(".")[0] in PACKAGES}


def import_graph() -> dict[str, set[str]]:
    files = source_files()
    known = set(files)
    return {name: imports_of(name, path, known) - {name} for name, path in files.items()}


def layer_violation(importer: str, imported: str) -> str | None:
    top = imported.split(".")[0]
    revision = importer.startswith("migrations.versions") or ".migrations." in importer
    if revision or importer == "migrations.rls":  # the kernel's revisions and the modules' own
        helper = imported == "migrations.rls"
        return None if top == "app" or helper else "a migration imports app/ and migrations/rls.py only"
    if importer.startswith("app"):
        return None if top == "app" else "app/ imports only app/"
    if importer.startswith("schema"):
        return None if top in ("app", "schema") else "schema/ imports app/ and schema/ only"
    if importer.startswith("modules."):
        if top in ("app", "schema"):
            return None
        if top != "modules":
            return "a module imports app/, schema/ and modules/ only"
        own = importer.split(".")[1]
        parts = imported.split(".")
        if len(parts) < 2 or parts[1] == own or len(parts) == 2:
            return None
        return f"modules.{own} imports modules.{parts[1]} other than through its __init__"
    return None  # the composition root: medgraph/, migrations/env.py


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one file (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_lower_layers_never_import_upward():
    graph = import_graph()
    violations = sorted(
        f"{importer} -> {imported}: {why}"
        for importer, imported_set in graph.items()
        for imported in imported_set
        if (why := layer_violation(importer, imported))
    )
    assert violations == []


def test_no_import_circles_between_files():
    assert cycles(import_graph()) == []


def test_the_rules_catch_what_they_should():
    assert layer_violation("app.context", "schema.errors")
    assert layer_violation("schema.root", "modules.tenancy")
    assert layer_violation("modules.orders.service", "modules.products.service")
    assert layer_violation("modules.orders.service", "modules.products") is None
    assert layer_violation("modules.tenancy.types.user", "modules.tenancy.models") is None
    assert layer_violation("medgraph.schema", "modules.tenancy") is None
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_no_file_passes_four_hundred_lines():
    long = {
        name: n
        for name, path in source_files().items()
        if name.split(".")[0] in ("app", "schema", "modules")
        and (n := len(path.read_text().splitlines())) > 400
    }
    assert long == {}
