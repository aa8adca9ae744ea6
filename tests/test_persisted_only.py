"""MEDGRAPH_PERSISTED_ONLY: only the documents registered from MEDGRAPH_PERSISTED_DOCUMENTS
run, by hash or by their exact text; anything else is refused before it is parsed. And the
CLI's manifest of those documents."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.persisted import PersistedQueries, Registered
from app.settings import OPERATIONS_DIR, Settings
from medgraph.asgi import create_app

ROOT = Path(__file__).resolve().parent.parent
ORG_BY_NAME = (
    "query OrgByName($search: String) {\n  organizations(filter: { search: $search }) { totalCount }\n}\n"
)
TYPENAME = "{ __typename }\r\n"  # exact text: the CRLF is part of what is hashed
CREATE_ORG = """mutation Create($input: OrganizationInput!) {
  createOrganization(input: $input) { organization { id name } errors { code } }
}"""


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def pq(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("operations")
    (directory / "OrgByName.graphql").write_bytes(ORG_BY_NAME.encode())
    (directory / "nested").mkdir()
    (directory / "nested" / "Typename.graphql").write_bytes(TYPENAME.encode())
    (directory / "notes.txt").write_text("{ organizations { totalCount } }")  # not a .graphql file
    return directory


@pytest.fixture
async def locked(api_engine, documents) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    app = create_app(Settings(persisted_only=True, persisted_documents=documents), "", engine=api_engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://medgraph.test") as client:
        yield client


async def post(client: httpx.AsyncClient, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    headers = {"accept": "application/graphql-response+json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return await client.post("/graphql", json=body, headers=headers)


def assert_not_allowed(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert "data" not in body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["PERSISTED_QUERY_NOT_ALLOWED"]


async def test_a_registered_document_runs_by_hash_and_by_text(locked, tenant_a):
    token = await tenant_a.token()
    expected = {"data": {"organizations": {"totalCount": 1}}}
    variables = {"search": "two"}
    for body in (
        {"extensions": pq(ORG_BY_NAME), "variables": variables},
        {"query": ORG_BY_NAME, "variables": variables},
        {"query": ORG_BY_NAME, "extensions": pq(ORG_BY_NAME), "variables": variables},
    ):
        response = await post(locked, body, token)
        assert response.status_code == 200, response.text
        assert response.json() == expected
    assert (await post(locked, {"query": TYPENAME})).json() == {"data": {"__typename": "Query"}}


async def test_get_by_hash_works(locked):
    response = await locked.get("/graphql", params={"extensions": json.dumps(pq(TYPENAME))})
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


async def test_an_unregistered_text_is_refused_before_it_runs(locked, tenant_a):
    token = await tenant_a.token()
    name = f"Not Registered {uuid.uuid4().hex[:8]}"
    refused = await post(
        locked, {"query": CREATE_ORG, "variables": {"input": {"name": name, "type": "CLINIC"}}}, token
    )
    assert_not_allowed(refused)
    found = await post(locked, {"extensions": pq(ORG_BY_NAME), "variables": {"search": name}}, token)
    assert found.json() == {"data": {"organizations": {"totalCount": 0}}}
    # Refused before parsing: a text that would not parse gets the same answer.
    assert_not_allowed(await post(locked, {"query": "{ __typename"}))
    # Text that differs from the file's by a byte is another document.
    assert_not_allowed(await post(locked, {"query": TYPENAME.replace("\r\n", "\n")}))


async def test_an_unknown_hash_is_not_allowed_rather_than_not_found(locked):
    assert_not_allowed(await post(locked, {"extensions": pq("{ __typename } # unknown")}))


async def test_registration_of_a_new_text_is_refused(locked):
    text = f"{{ __typename }} # {uuid.uuid4().hex}"
    assert_not_allowed(await post(locked, {"query": text, "extensions": pq(text)}))
    assert_not_allowed(await post(locked, {"extensions": pq(text)}))


async def test_the_protocol_errors_still_come_first(locked):
    mismatch = await post(locked, {"query": TYPENAME, "extensions": pq(ORG_BY_NAME)})
    assert mismatch.status_code == 400
    assert mismatch.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    bad = await post(locked, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "x"}}})
    assert bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["code"] == "BAD_EXTENSIONS"


async def test_without_the_mode_registered_documents_run_and_others_too(client):
    """Off by default: the directory's documents are known by hash from the start."""
    assert Settings().persisted_only is False
    assert Settings().persisted_documents == OPERATIONS_DIR
    response = await post(client, {"query": "{ __typename }"})
    assert response.json() == {"data": {"__typename": "Query"}}


def test_the_mode_refuses_to_start_without_documents(tmp_path):
    with pytest.raises(SystemExit, match="MEDGRAPH_PERSISTED_DOCUMENTS"):
        PersistedQueries(Settings(persisted_only=True, persisted_documents=tmp_path))
    with pytest.raises(SystemExit, match="MEDGRAPH_PERSISTED_DOCUMENTS"):
        PersistedQueries(Settings(persisted_only=True, persisted_documents=tmp_path / "missing"))
    assert PersistedQueries(Settings(persisted_documents=tmp_path / "missing")).registered.texts == {}


def test_registered_documents_are_each_file_exactly(documents):
    registered = Registered.read(documents)
    assert registered.texts == {sha(ORG_BY_NAME): ORG_BY_NAME, sha(TYPENAME): TYPENAME}
    assert registered.manifest() == {
        sha(ORG_BY_NAME): "OrgByName.graphql",
        sha(TYPENAME): "nested/Typename.graphql",
    }


def test_the_cli_prints_the_manifest(documents):
    shipped = {sha(p.read_bytes().decode()): p.name for p in OPERATIONS_DIR.glob("*.graphql")}
    mine = {sha(ORG_BY_NAME): "OrgByName.graphql", sha(TYPENAME): "nested/Typename.graphql"}
    for extra, expected in (([], shipped), (["--directory", str(documents)], mine)):
        result = subprocess.run(
            [sys.executable, "-m", "medgraph.cli", "persisted", "list", *extra],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == expected
