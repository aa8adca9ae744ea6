"""The CLI's commands and help, and the production guard on secrets."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_production_refuses_development_secrets():
    with pytest.raises(SystemExit, match="MEDGRAPH_JWT_SECRET"):
        Settings(env="production").check_production()
    Settings(
        env="production", jwt_secret="s" * 40, phi_key=base64.b64encode(b"k" * 32).decode()
    ).check_production()
    Settings(env="development").check_production()


def test_production_hides_field_suggestions():
    assert Settings(env="production").field_suggestions is False
    assert Settings(env="development").field_suggestions is True


@pytest.mark.parametrize(
    "command", [[], ["serve"], ["migrate"], ["seed"], ["tenant"], ["export-schema"], ["persisted"]]
)
def test_every_command_has_help(command):
    result = subprocess.run(
        [sys.executable, "-m", "medgraph.cli", *command, "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: medgraph" in result.stdout


def test_export_schema_writes_the_snapshot(tmp_path):
    target = tmp_path / "schema.graphql"
    result = subprocess.run(
        [sys.executable, "-m", "medgraph.cli", "export-schema", "--output", str(target)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert target.read_text() == (ROOT / "graphql" / "schema.graphql").read_text()


async def test_operator_creates_and_suspends_a_tenant(owner_engine, client):
    """`medgraph tenant create|deactivate` as functions: a new tenant's owner signs in; a
    deactivated tenant's tokens and sign-ins are refused."""
    import uuid

    from app.auth.passwords import hash_password
    from app.db import tenant_transaction
    from medgraph.installed import catalog
    from modules.tenancy import create_owner, provision_tenant, set_tenant_active
    from tests.support import LOGIN, gql

    slug = f"new-{uuid.uuid4().hex[:8]}"
    async with owner_engine.begin() as conn:
        tenant_id = await provision_tenant(conn, slug, "New Tenant", catalog())
    async with tenant_transaction(owner_engine, str(tenant_id)) as conn:
        await create_owner(conn, tenant_id, f"Boss@{slug}.test", "Owner", hash_password("first-owner-pass"))
    variables = {"email": f"boss@{slug}.test", "password": "first-owner-pass", "tenant": slug}
    token = (await gql(client, LOGIN, variables))["data"]["login"]["accessToken"]
    me = await gql(client, "{ me { roles tenant { slug } } }", headers={"authorization": f"Bearer {token}"})
    assert me["data"]["me"] == {"roles": ["owner"], "tenant": {"slug": slug}}
    async with owner_engine.begin() as conn:
        assert await set_tenant_active(conn, slug, False)
    refused = await gql(client, "{ me { roles } }", headers={"authorization": f"Bearer {token}"})
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    login = await gql(client, LOGIN, variables)
    assert login["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
