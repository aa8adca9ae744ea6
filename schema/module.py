"""The manifest a module describes itself with, and the permission catalog of a set of them.

Each module's `__init__.py` holds one `Module`: its name, its tables, its permission
keys (with descriptions), which baseline roles get which of them, and (loaded lazily,
so importing the manifest imports no GraphQL types) its schema classes and node types.
The composition root lists the installed modules (`medgraph/installed.py`); the root
schema, the Alembic environment and the permission catalog sync read that list.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from app.events import EventType

# The roles every tenant starts with (key -> name). Owner and admin are computed from
# the catalog: owner holds every key, admin every one but OWNER_ONLY.
BASELINE_ROLES: dict[str, str] = {
    "owner": "Owner",
    "admin": "Administrator",
    "manager": "Manager",
    "provider": "Provider",
    "sales_rep": "Sales representative",
    "facility_manager": "Facility manager",
    "viewer": "Viewer",
}
OWNER_ONLY = frozenset({"tenant.manage"})


@dataclass(frozen=True)
class SchemaParts:
    queries: Sequence[type] = ()
    mutations: Sequence[type] = ()
    subscriptions: Sequence[type] = ()
    nodes: Sequence[type] = ()  # entity types reachable through node(id:)


@dataclass(frozen=True)
class Module:
    name: str
    metadata: sa.MetaData
    permissions: Mapping[str, str]
    grants: Mapping[str, Collection[str]]  # baseline role key -> this module's keys it holds
    events: Sequence[EventType] = ()  # the domain events it emits
    migrations: Path | None = None  # its own Alembic revisions, if it keeps them itself
    schema: Callable[[], SchemaParts] = field(default=lambda: SchemaParts())


@dataclass(frozen=True)
class Catalog:
    """Every permission key of a set of modules, and what each baseline role holds."""

    permissions: dict[str, str]  # key -> description
    roles: dict[str, tuple[str, frozenset[str]]]  # role key -> (name, keys)

    @classmethod
    def of(cls, modules: Sequence[Module]) -> Catalog:
        permissions: dict[str, str] = {}
        granted: dict[str, set[str]] = {key: set() for key in BASELINE_ROLES}
        for module in modules:
            for key, description in module.permissions.items():
                if key in permissions:
                    raise ValueError(f"permission {key!r} of module {module.name} is declared twice")
                permissions[key] = description
            for role, keys in module.grants.items():
                if role not in BASELINE_ROLES or role in ("owner", "admin"):
                    raise ValueError(f"module {module.name} grants to {role!r}, not a baseline role it may")
                unknown = set(keys) - set(module.permissions)
                if unknown:
                    raise ValueError(
                        f"module {module.name} grants keys it does not declare: {sorted(unknown)}"
                    )
                granted[role] |= set(keys)
        everything = frozenset(permissions)
        granted["owner"] = set(everything)
        granted["admin"] = set(everything - OWNER_ONLY)
        return cls(
            permissions,
            {key: (name, frozenset(granted[key])) for key, name in BASELINE_ROLES.items()},
        )
