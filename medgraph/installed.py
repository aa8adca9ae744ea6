"""The installed modules, in the order their schema parts are merged.

Adding a module: write `modules/<name>/` (see the README's checklist) and list its
manifest here. Nothing else outside the module changes.
"""

from __future__ import annotations

from pathlib import Path

from modules import operations, orders, products, tenancy
from schema.module import Catalog, Module

INSTALLED_MODULES: tuple[Module, ...] = (tenancy.MODULE, products.MODULE, orders.MODULE, operations.MODULE)


def migration_locations(modules: tuple[Module, ...] | None = None) -> tuple[Path, ...]:
    """The modules' own revision directories, beside migrations/versions/."""
    return tuple(m.migrations for m in (INSTALLED_MODULES if modules is None else modules) if m.migrations)


def catalog(modules: tuple[Module, ...] | None = None) -> Catalog:
    """The permission keys of the installed modules and what each baseline role holds."""
    return Catalog.of(INSTALLED_MODULES if modules is None else modules)
