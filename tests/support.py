"""Helpers for tests: a tenant with demo-like data and a GraphQL client for each role."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from app.crypto import PhiCipher
from app.db import tenant_transaction
from app.settings import get_settings
from medgraph.demo import DEMO_PASSWORD, seed_tenant_data
from medgraph.installed import catalog
from modules.tenancy import provision_tenant


class GraphQLFailure(AssertionError):
    pass


@dataclass
class Tenant:
    slug: str
    id: uuid.UUID
    client: httpx.AsyncClient
    tokens: dict[str, str] = field(default_factory=dict)

    def email(self, role: str) -> str:
        return f"{role.replace('_', '.')}@{self.slug}.test"

    async def login(self, role: str, password: str = DEMO_PASSWORD) -> dict[str, Any]:
        result = await gql(
            self.client, LOGIN, {"email": self.email(role), "password": password, "tenant": self.slug}
        )
        return result["data"]["login"]

    async def token(self, role: str = "owner") -> str:
        if role not in self.tokens:
            payload = await self.login(role)
            assert payload["errors"] == [], payload
            self.tokens[role] = payload["accessToken"]
        return self.tokens[role]

    async def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        role: str = "owner",
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Run an operation as `role`; fail the test on any top-level error."""
        result = await self.raw(query, variables, role, headers)
        if result.get("errors"):
            raise GraphQLFailure(result["errors"])
        return result["data"]

    async def raw(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        role: str = "owner",
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        token = await self.token(role)
        return await gql(
            self.client, query, variables, {"authorization": f"Bearer {token}", **(headers or {})}
        )


async def api_connections_idle_in_transaction(owner_engine: AsyncEngine) -> int:
    """Connections of the API role left open in a transaction: each is a leak. (A
    background worker's, running in the tests' process, is told apart by its
    application_name: its relay holds a transaction open while it sends to the broker.)"""
    async with owner_engine.connect() as conn:
        count = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND usename = :role AND state LIKE 'idle in transaction%'"
                " AND application_name = 'medgraph'"
            ),
            {"role": get_settings().api_db_role},
        )
    return int(count or 0)


def access_claims(**overrides: Any) -> dict[str, Any]:
    """Well-formed access-token claims for an unknown user and tenant, with overrides."""
    settings = get_settings()
    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "sub": str(uuid.uuid4()),
        "tid": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "roles": ["owner"],
        "typ": "access",
        "iat": now,
        "exp": now + 600,
        "jti": "t",
    }
    claims.update(overrides)
    return claims


async def claims_of(tenant: Tenant, role: str = "owner") -> dict[str, Any]:
    """The real claims of a signed-in user, to re-sign with changes."""
    return jwt.decode(await tenant.token(role), options={"verify_signature": False})


def sign_token(claims: dict[str, Any], secret: str | None = None, algorithm: str = "HS256") -> str:
    """Sign claims as the server does (or with another key or algorithm, to forge)."""
    return jwt.encode(claims, secret or get_settings().jwt_secret, algorithm=algorithm)


LOGIN = """mutation Login($email: String!, $password: String!, $tenant: String!) {
  login(email: $email, password: $password, tenant: $tenant) {
    accessToken refreshToken user { id email } errors { field code message }
  }
}"""


def app_with(api_engine: AsyncEngine, **settings: Any) -> Any:
    """The real app on the API engine, with some settings changed."""
    from medgraph.asgi import create_app

    return create_app(get_settings().model_copy(update=settings), "", engine=api_engine)


@contextmanager
def recorded_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement `engine` sends while the block runs, in order."""
    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def make_tenant(owner: AsyncEngine, client: httpx.AsyncClient, cipher: PhiCipher, slug: str) -> Tenant:
    """A tenant seeded like the demo ones (3 organizations, 5 facilities, users per role)."""
    async with owner.begin() as conn:
        tenant_id = await provision_tenant(conn, slug, slug.title(), catalog())
    orgs = [
        ("Org One", "clinic", ["One Main", "One East"]),
        ("Org Two", "hospital", ["Two Main"]),
        ("Org Three", "practice", ["Three Main", "Three West"]),
    ]
    async with tenant_transaction(owner, str(tenant_id)) as conn:
        await seed_tenant_data(conn, cipher, tenant_id, slug, orgs)
    return Tenant(slug, tenant_id, client)


__all__ = [
    "GraphQLFailure",
    "Tenant",
    "access_claims",
    "api_connections_idle_in_transaction",
    "app_with",
    "claims_of",
    "gql",
    "make_tenant",
    "recorded_statements",
    "sign_token",
]
