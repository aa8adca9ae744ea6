"""Run Alembic programmatically against a given owner URL.

Revisions live in `migrations/versions/` (the kernel's and tenancy's) and in each
installed module's own `migrations/` directory: one linear history across all of them.
The composition root passes the modules' directories as `locations`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parent.parent

Locations = Sequence[Path]


def alembic_config(url: str, locations: Locations = ()) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    versions = [ROOT / "migrations" / "versions", *locations]
    config.set_main_option("version_locations", os.pathsep.join(str(v) for v in versions))
    config.attributes["url"] = url
    return config


def head_revision(locations: Locations = ()) -> str:
    script = ScriptDirectory.from_config(alembic_config("", locations))
    head = script.get_current_head()
    assert head is not None
    return head


async def upgrade(url: str, revision: str = "head", locations: Locations = ()) -> None:
    await asyncio.to_thread(command.upgrade, alembic_config(url, locations), revision)


async def downgrade(url: str, revision: str = "base", locations: Locations = ()) -> None:
    await asyncio.to_thread(command.downgrade, alembic_config(url, locations), revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
