"""The module kit: a module installed through its manifest reaches the schema and the
baseline roles; permission keys and error codes are checked against what is declared;
an entity declaration that cannot work fails at import."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
import strawberry
from sqlalchemy.ext.asyncio import create_async_engine
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.migrate import head_revision
from app.settings import get_settings
from medgraph.cli import run_migrations
from medgraph.installed import INSTALLED_MODULES, catalog, migration_locations
from modules.tenancy import provision_tenant
from modules.tenancy.errors import TenancyErrorCode, mutate
from schema.entities import ENTITIES, EntityError, entity
from schema.module import Catalog, Module, SchemaParts
from schema.mutations import UnknownErrorCode
from schema.node import NODE_SOURCES
from schema.permissions import Requires, requires
from schema.relay import Node
from schema.root import build_schema
from tests.conftest import _fresh_database

ROOT = Path(__file__).resolve().parent.parent

widgets_metadata = sa.MetaData()


@strawberry.type
class WidgetQuery:
    @strawberry.field(extensions=requires("widgets.read"))
    def widget_count(self, info: Info) -> int:
        return 0


WIDGETS_REVISION = """
from alembic import op

from migrations.rls import tenant_table

revision = "widgets_0001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE TABLE widgets (id uuid PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants(id))")
    tenant_table("widgets")


def downgrade() -> None:
    op.execute("DROP TABLE widgets")
"""


def widgets_module(migrations: Path) -> Module:
    """A module with its own revisions, as a new module keeps them (modules/<name>/migrations/)."""
    migrations.mkdir()
    (migrations / "widgets_0001.py").write_text(
        WIDGETS_REVISION.format(head=head_revision(migration_locations()))
    )
    return Module(
        name="widgets",
        metadata=widgets_metadata,
        permissions={"widgets.read": "Read widgets", "widgets.manage": "Make widgets"},
        grants={"viewer": {"widgets.read"}},
        schema=lambda: SchemaParts(queries=[WidgetQuery]),
        migrations=migrations,
    )


async def test_an_installed_module_reaches_the_schema_the_database_and_the_baseline_roles(tmp_path):
    url = await _fresh_database("medgraph_module_kit")
    settings = get_settings()
    await run_migrations(url, settings)
    engine = create_async_engine(url)
    widgets = widgets_module(tmp_path / "migrations")
    try:
        async with engine.begin() as conn:
            tenant_id = await provision_tenant(conn, f"kit-{uuid.uuid4().hex[:8]}", "Kit", catalog())
        # `medgraph migrate` with the widgets module installed:
        await run_migrations(url, settings, (*INSTALLED_MODULES, widgets))
        async with engine.begin() as conn:
            await conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})
            rows = await conn.execute(
                sa.text(
                    "SELECT r.key, array_agg(rp.permission_key ORDER BY rp.permission_key) FROM roles r "
                    "JOIN role_permissions rp ON rp.role_id = r.id GROUP BY r.key"
                )
            )
            held = {key: set(keys) for key, keys in rows}
            forced = await conn.scalar(
                sa.text("SELECT relforcerowsecurity FROM pg_class WHERE relname = 'widgets'")
            )
            version = await conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
    finally:
        await engine.dispose()
    assert forced is True and version == "widgets_0001"
    assert {"widgets.read", "widgets.manage"} <= held["owner"]
    assert {"widgets.read", "widgets.manage"} <= held["admin"]
    assert "tenant.manage" in held["owner"] and "tenant.manage" not in held["admin"]
    assert "widgets.read" in held["viewer"] and "widgets.manage" not in held["viewer"]
    assert not {"widgets.read", "widgets.manage"} & held["manager"]

    schema = build_schema(settings, (*INSTALLED_MODULES, widgets))
    assert "widgetCount: Int!" in schema.as_str()


def test_the_catalog_refuses_what_cannot_be_granted():
    with pytest.raises(ValueError, match="declared twice"):
        Catalog.of([*INSTALLED_MODULES, Module("copy", sa.MetaData(), {"users.read": "again"}, {})])
    with pytest.raises(ValueError, match="not a baseline role"):
        Catalog.of([Module("x", sa.MetaData(), {"x.read": "x"}, {"janitor": {"x.read"}})])
    with pytest.raises(ValueError, match="does not declare"):
        Catalog.of([Module("x", sa.MetaData(), {"x.read": "x"}, {"viewer": {"y.read"}})])


# Every call that names a permission key: requires("k"), ctx.require("k"), principal.can("k"),
# and the keyword arguments of declarations (node=, requires=).
_PERMISSION_CALLS = {"requires", "require", "can", "Requires"}
_PERMISSION_KEYWORDS = {"node", "requires"}


def permission_keys_named_in_source() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in ("app", "schema", "modules", "medgraph"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                literals = [a for a in node.args if name in _PERMISSION_CALLS]
                literals += [k.value for k in node.keywords if k.arg in _PERMISSION_KEYWORDS]
                for value in literals:
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        found[value.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_permission_key_named_exists_in_the_catalog():
    known = set(catalog().permissions)
    named = permission_keys_named_in_source()
    assert len(named) >= 8  # the scan finds them (a broken scan would pass vacuously)
    assert {key: where for key, where in named.items() if key not in known} == {}


def test_every_permission_the_schema_checks_exists_in_the_catalog():
    known = set(catalog().permissions)
    schema = build_schema(get_settings(), INSTALLED_MODULES)
    used: set[str] = set()
    for type_name in ("Query", "Mutation", "Subscription"):
        for field in schema.get_type_by_name(type_name).fields:  # type: ignore[union-attr]
            for extension in field.extensions:
                if isinstance(extension, PermissionExtension):
                    for permission in extension.permissions:
                        if isinstance(permission, Requires):
                            used |= set(permission.keys)
    used |= {source.permission for source in NODE_SOURCES.values()}
    for spec in ENTITIES.values():
        used |= {r.requires for r in spec.relations.values() if r.requires}
    assert used and used <= known


def _error_codes_in(paths: list[Path]) -> dict[str, str]:
    """String codes services raise: FieldProblem(f, "C", m), raise_problem(f, "C", m),
    problems.add(f, "C", m), invalid("C", ...)."""
    found: dict[str, str] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            position = {"FieldProblem": 1, "raise_problem": 1, "add": 1, "invalid": 0}.get(name)
            if position is None or len(node.args) <= position:
                continue
            arg = node.args[position]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.isupper():
                found[arg.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_error_code_a_service_raises_is_in_its_modules_enum():
    kernel = [*(ROOT / "app").rglob("*.py"), *(ROOT / "schema").rglob("*.py")]
    raised = _error_codes_in(kernel + list((ROOT / "modules" / "tenancy").rglob("*.py")))
    assert {"NOT_FOUND", "DUPLICATE", "REQUIRED", "INVALID_TOKEN", "FORBIDDEN"} <= set(raised)
    assert {code: where for code, where in raised.items() if code not in TenancyErrorCode.__members__} == {}


def test_an_unknown_error_code_is_a_bug_not_invalid():
    from app.errors import FieldProblem

    with pytest.raises(UnknownErrorCode):
        mutate.errors([FieldProblem("input.name", "NO_SUCH_CODE", "?")])


def test_a_field_without_a_column_fails_at_import():
    table = sa.Table(
        "gadgets", sa.MetaData(), sa.Column("id", sa.Uuid, primary_key=True), sa.Column("name", sa.Text)
    )
    with pytest.raises(EntityError, match="Gadget.colour: table gadgets has no column 'colour'"):

        @entity(table, node="tenancy.read")
        @strawberry.type
        class Gadget(Node):
            name: str
            colour: str

    with pytest.raises(EntityError, match="names fields it does not have"):

        @entity(table, columns={"label": "name"})
        @strawberry.type
        class Gizmo(Node):
            name: str


def test_input_values_decodes_ids_and_refuses_an_id_field_it_is_not_told_of():
    from modules.tenancy.schema.organizations import FacilityInput
    from schema.mutations import NOWHERE, input_values
    from schema.relay import to_global_id

    org = uuid.uuid4()
    data = FacilityInput(organization_id=to_global_id("Organization", org), name="x", type=None)
    assert input_values(data, ids={"organization_id": "Organization"}) == {
        "organization_id": org,
        "name": "x",
        "type": None,
    }
    wrong_type = FacilityInput(organization_id=to_global_id("Facility", org))
    assert input_values(wrong_type, ids={"organization_id": "Organization"}) == {"organization_id": NOWHERE}
    with pytest.raises(TypeError, match="organization_id"):
        input_values(data)
