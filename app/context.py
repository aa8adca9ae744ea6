"""The per-request context every resolver sees as `info.context`.

It holds the request's unit of work (one tenant-scoped transaction), the verified
token claims, the lazily loaded principal, the dataloader registry and the PHI
access recorder. Loading the principal is the tenancy module's job; the context
receives that function from the composition root (medgraph/asgi.py).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.passwords import PasswordWorkers
from app.auth.tokens import AccessClaims, InvalidToken, decode_access_token
from app.crypto import PhiCipher
from app.db import UnitOfWork
from app.errors import AuthenticationError, PermissionDenied
from app.settings import Settings
from app.throttle import SigninThrottle


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking, and what they may see, for the rest of this request."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    roles: tuple[str, ...]
    permissions: frozenset[str]
    facility_ids: tuple[uuid.UUID, ...]
    organization_ids: tuple[uuid.UUID, ...]
    scope_all: bool

    def can(self, permission: str) -> bool:
        return permission in self.permissions


PrincipalLoader = Callable[["RequestContext", AccessClaims], Awaitable[Principal]]


@dataclass(frozen=True)
class PrincipalSource:
    """How the module that owns users finds who is asking (the composition root hands it
    in): `load` in the request's transaction, and `fused`, the same lookup as one SQL
    statement around a read of the caller's: `$1`-`$3` are the tenant, user and session,
    `{data}` stands for the read (evaluated only for a caller who may act, once the lookup
    has set the transaction's settings), and `from_row` reads its principal columns
    (raising AuthenticationError for a caller who may not act).

    `known` is the cheap form for a principal found before: `$1`, `$2` the tenant and
    user, then what `remember(principal, row)` kept of the lookup's row (the versions it
    was current at, and the transaction settings it chose); its row's `current` says
    whether that still holds (if not, `{data}` was not evaluated: look it up again)."""

    load: PrincipalLoader
    fused: str
    from_row: Callable[[AccessClaims, Any], Principal]
    known: str
    remember: Callable[[Principal, Any], tuple[Any, ...]]

    async def __call__(self, ctx: RequestContext, claims: AccessClaims) -> Principal:
        return await self.load(ctx, claims)


@dataclass(frozen=True, slots=True)
class SignInGuards:
    """What every request of one process shares to keep sign-in from stalling it."""

    passwords: PasswordWorkers
    throttle: SigninThrottle


class LoaderRegistry:
    """Dataloaders created on first use and kept for the rest of the request.

    A loader is identified by a key naming the relation and the arguments that
    shape its query (a nested connection's page size, filter and order), so every
    parent asking the same sub-query in one request joins the same batch.
    """

    def __init__(self, context: RequestContext) -> None:
        self._context = context
        self._loaders: dict[Hashable, Any] = {}

    def get(self, key: Hashable, build: Callable[[RequestContext], Any]) -> Any:
        loader = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = _Shielded(build(self._context))
        return loader


class _Shielded:
    """A dataloader whose futures one awaiter's cancellation cannot cancel for the others.

    A loader hands every field asking for the same key the same future. When one field
    of a query fails, graphql-core cancels its sibling fields, and a cancelled awaiter
    cancels the future it awaits: another field still waiting on that key would then
    get a CancelledError that no error handling catches (a 500 instead of the error).
    """

    __slots__ = ("_loader",)

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def load(self, key: Any) -> Any:
        return asyncio.shield(self._loader.load(key))

    def load_many(self, keys: Any) -> Any:
        return asyncio.shield(self._loader.load_many(keys))


@dataclass
class PhiAccessRecorder:
    """Which PHI fields of which patients this request resolved; flushed before commit."""

    fields_by_patient: dict[uuid.UUID, set[str]] = field(default_factory=lambda: defaultdict(set))

    def record(self, patient_id: uuid.UUID, field_name: str) -> None:
        self.fields_by_patient[patient_id].add(field_name)


class RequestContext:
    def __init__(
        self,
        *,
        settings: Settings,
        engine: AsyncEngine,
        cipher: PhiCipher,
        principal_loader: PrincipalLoader,
        guards: SignInGuards,
        request_id: str,
        request: Any = None,
        response: Any = None,
        claims: AccessClaims | None = None,
        auth_error: str | None = None,
        access_reason: str | None = None,
        client_ip: str | None = None,
        user_agent: str | None = None,
        events: Any = None,
    ) -> None:
        self.settings = settings
        self.events = events  # the process's EventHub (app/event_hub.py), for subscriptions
        self.engine = engine
        self.cipher = cipher
        self.guards = guards
        self.request = request
        self.response = response
        self.request_id = request_id
        self.claims = claims
        self.auth_error = auth_error
        self.access_reason = access_reason
        self.client_ip = client_ip
        self.user_agent = user_agent
        self.uow = UnitOfWork(engine)
        self.loaders = LoaderRegistry(self)
        self.phi = PhiAccessRecorder()
        self.operation_name: str | None = None
        self.operation_hash: str = ""
        self._principal_loader = principal_loader
        self._principal: Principal | None = None

    def fork(self) -> RequestContext:
        """A fresh context for the same caller: its own transaction, loaders and PHI log.

        A websocket connection has one context for all its operations; each event a
        subscription delivers is read in a fork, so it re-checks the caller and never
        shares a transaction with another operation.
        """
        return RequestContext(
            settings=self.settings,
            engine=self.engine,
            cipher=self.cipher,
            principal_loader=self._principal_loader,
            guards=self.guards,
            request_id=self.request_id,
            request=self.request,
            claims=self.claims,
            auth_error=self.auth_error,
            access_reason=self.access_reason,
            client_ip=self.client_ip,
            user_agent=self.user_agent,
            events=self.events,
        )

    def renew(self) -> None:
        """For each event a subscription delivers: a fresh transaction, loaders and PHI log,
        and the caller looked up afresh on first use (a user deactivated since, or a token
        expired, is refused). The previous event's unit of work must be finished first."""
        self.uow = UnitOfWork(self.engine)
        self.loaders = LoaderRegistry(self)
        self.phi = PhiAccessRecorder()
        self._principal = None

    def valid_claims(self) -> AccessClaims:
        """The caller's verified, unexpired claims; raises a clear authentication error
        otherwise. (The principal lookup then decides whether the caller may act.)"""
        if self.auth_error:
            raise AuthenticationError(self.auth_error)
        if self.claims is None:
            raise AuthenticationError("Authentication required: send 'Authorization: Bearer <token>'")
        if self.claims.expires_at <= time.time():  # a websocket outlives the token it opened with
            raise AuthenticationError("Access token has expired")
        return self.claims

    async def principal(self) -> Principal:
        """The authenticated principal; raises a clear authentication error otherwise."""
        if self._principal is None:
            self._principal = await self._principal_loader(self, self.valid_claims())
        return self._principal

    async def sign_in(self, claims: AccessClaims) -> None:
        """Let the rest of a request that acts for nobody act as the user who just signed in.

        One request acts for one identity: a request that sent a valid token, or signed in
        already, keeps the identity it has, and its transaction settings never move.
        """
        if self._principal is not None or (self.claims is not None and self.auth_error is None):
            return
        self.claims, self.auth_error = claims, None
        await self.principal()  # scopes the transaction before any field reads through it

    async def require(self, permission: str) -> Principal:
        principal = await self.principal()
        if not principal.can(permission):
            raise PermissionDenied(f"Missing permission '{permission}'")
        return principal

    @property
    def principal_source(self) -> PrincipalSource | None:
        loader = self._principal_loader
        return loader if isinstance(loader, PrincipalSource) else None

    @property
    def current(self) -> Principal | None:
        """The principal if already loaded (resolvers under a permission-checked root)."""
        return self._principal


REASON_HEADER = "x-access-reason"


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else value.strip()


def build_context(
    *,
    settings: Settings,
    engine: AsyncEngine,
    cipher: PhiCipher,
    guards: SignInGuards,
    authorization: str | None,
    headers: Any,
    client_ip: str | None,
    request_id: str | None = None,
    principal_loader: PrincipalLoader,
    request: Any = None,
    response: Any = None,
    events: Any = None,
) -> RequestContext:
    """A request's context: the bearer token verified now, the principal loaded on first use."""
    claims, auth_error = None, None
    token = _bearer(authorization)
    if token:
        try:
            claims = decode_access_token(settings, token)
        except InvalidToken as exc:
            auth_error = str(exc)
    return RequestContext(
        settings=settings,
        engine=engine,
        cipher=cipher,
        principal_loader=principal_loader,
        guards=guards,
        request_id=request_id or uuid.uuid4().hex,
        request=request,
        response=response,
        claims=claims,
        auth_error=auth_error,
        access_reason=headers.get(REASON_HEADER),
        client_ip=client_ip,
        user_agent=headers.get("user-agent"),
        events=events,
    )
