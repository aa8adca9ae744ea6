"""The schema of the installed modules."""

from __future__ import annotations

import strawberry

from app.settings import Settings
from medgraph.installed import INSTALLED_MODULES
from schema.root import build_schema as build_root_schema


def build_schema(settings: Settings) -> strawberry.Schema:
    return build_root_schema(settings, INSTALLED_MODULES)
