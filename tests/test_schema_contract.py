"""The schema as a contract: every Mutation field declares a permission, the SDL snapshot is
current, and the Relay shapes are right."""

from __future__ import annotations

from pathlib import Path

from strawberry.permission import PermissionExtension

from app.settings import get_settings
from medgraph.schema import build_schema
from schema.permissions import Public, Requires

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = build_schema(get_settings())


def _declared(field) -> list:
    return [
        permission
        for extension in field.extensions
        if isinstance(extension, PermissionExtension)
        for permission in extension.permissions
        if isinstance(permission, Requires | Public)
    ]


def _root_fields(name: str):
    definition = SCHEMA.get_type_by_name(name)
    assert definition is not None
    return definition.fields


def test_every_mutation_declares_a_permission():
    missing = [f.python_name for f in _root_fields("Mutation") if not _declared(f)]
    assert missing == []
    public = sorted(
        f.python_name for f in _root_fields("Mutation") if any(isinstance(p, Public) for p in _declared(f))
    )
    assert public == ["login", "logout", "refresh_token"]


def test_every_query_declares_a_permission_or_checks_per_node():
    missing = [f.python_name for f in _root_fields("Query") if not _declared(f)]
    by_id = [f.python_name for f in _root_fields("Query") if _by_id(f)]
    # These check the permission of the type they find (`by_id` fields are `node` of one type).
    assert missing == ["node", "nodes", *by_id]
    assert by_id == ["order"]


def _by_id(field) -> bool:
    resolver = field.base_resolver
    return resolver is not None and hasattr(resolver.wrapped_func, "__by_id__")


def test_schema_snapshot_is_current():
    snapshot = (ROOT / "graphql" / "schema.graphql").read_text()
    assert snapshot == SCHEMA.as_str() + "\n", "run `medgraph export-schema` and commit the result"


def test_relay_shapes():
    sdl = SCHEMA.as_str()
    assert "interface Node {\n  id: ID!\n}" in sdl
    assert "type PageInfo {" in sdl and "hasNextPage: Boolean!" in sdl
    assert "type OrganizationConnection {" in sdl and "type OrganizationEdge {" in sdl


async def test_introspection_and_graphiql_can_be_switched_off(api_engine):
    import httpx

    from medgraph.asgi import create_app

    settings = get_settings().model_copy(update={"introspection": False, "graphiql": False})
    app = create_app(settings, "", engine=api_engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        page = await client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 404
        result = await client.post("/graphql", json={"query": "{ __schema { types { name } } }"})
        assert result.status_code == 200
        assert "introspection" in result.json()["errors"][0]["message"].lower()
