"""Alembic environment: async, run as the database owner.

The URL is handed in by `app.migrate` through `config.attributes["url"]`, so
migrations always target the same database the API serves.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

from app.tables import metadata as kernel_metadata
from medgraph.installed import INSTALLED_MODULES

target_metadata = [kernel_metadata, *(module.metadata for module in INSTALLED_MODULES)]


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await engine.dispose()


url = context.config.attributes.get("url") or context.config.get_main_option("sqlalchemy.url")
existing = context.config.attributes.get("connection")
if existing is not None:
    _run(existing)
else:
    asyncio.run(_run_async(url))
