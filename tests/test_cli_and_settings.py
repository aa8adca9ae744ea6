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


@pytest.mark.parametrize("command", [[], ["serve"], ["migrate"], ["seed"], ["export-schema"]])
def test_every_command_has_help(command):
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", *command, "--help"],
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
        [sys.executable, "-m", "app.cli", "export-schema", "--output", str(target)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert target.read_text() == (ROOT / "graphql" / "schema.graphql").read_text()
