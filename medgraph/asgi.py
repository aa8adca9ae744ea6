"""The ASGI app of the installed modules: `create_app(settings, api_url)`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from app.asgi import build_app
from app.db import api_url_for, create_engine
from app.logging import configure_logging
from app.migrate import head_revision
from app.settings import Settings, get_settings
from medgraph.installed import migration_locations
from medgraph.schema import build_schema
from modules.tenancy import PRINCIPAL


def create_app(settings: Settings, api_url: str, engine: AsyncEngine | None = None) -> Starlette:
    """The engine connects as the API role (row-level security applies)."""
    engine = engine or create_engine(api_url, settings)
    head = head_revision(migration_locations())
    return build_app(settings, engine, build_schema(settings), PRINCIPAL, head)


def worker_app() -> Starlette:
    """The app of one worker of `medgraph serve --workers N` (uvicorn calls it in each
    spawned process): settings from the environment, where the parent has put the API
    role's connection once the database was ready."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    if not settings.api_database_url:
        raise RuntimeError("a worker needs MEDGRAPH_API_DATABASE_URL (set by `medgraph serve`)")
    return create_app(settings, api_url_for("", settings))
