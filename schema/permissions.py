"""Declaring the permission a root field needs.

Every Query and Mutation root field declares its permission with `requires(...)`
or `public()`; a test walks the schema and fails on any Mutation field without
one. The check runs once per root field, not on the hot nested types.
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from app.errors import PermissionDenied


class Requires(BasePermission):
    """The caller must be authenticated and hold every listed permission key."""

    def __init__(self, *keys: str) -> None:
        self.keys = keys

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = await info.context.principal()
        for key in self.keys:
            if not principal.can(key):
                raise PermissionDenied(f"Missing permission '{key}'")
        return True


class Authenticated(Requires):
    """Any authenticated user (for `me`, `logout`)."""

    def __init__(self) -> None:
        super().__init__()


class Public(BasePermission):
    """Anyone, before logging in (for `login`, `refreshToken`). Declared, never implied."""

    keys: tuple[str, ...] = ()

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return True


def requires(*keys: str) -> list[FieldExtension]:
    return [PermissionExtension(permissions=[Requires(*keys)], use_directives=False)]


def authenticated() -> list[FieldExtension]:
    return [PermissionExtension(permissions=[Authenticated()], use_directives=False)]


def public() -> list[FieldExtension]:
    return [PermissionExtension(permissions=[Public()], use_directives=False)]
