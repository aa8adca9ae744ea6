"""The ASGI app of the installed modules: `create_app(settings, api_url)`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from app.asgi import build_app
from app.db import create_engine
from app.migrate import head_revision
from app.settings import Settings
from medgraph.installed import migration_locations
from medgraph.schema import build_schema
from modules.tenancy import load_principal


def create_app(settings: Settings, api_url: str, engine: AsyncEngine | None = None) -> Starlette:
    """The engine connects as the API role (row-level security applies)."""
    engine = engine or create_engine(api_url, settings)
    head = head_revision(migration_locations())
    return build_app(settings, engine, build_schema(settings), load_principal, head)
