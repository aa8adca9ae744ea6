"""Compiled reads answer exactly as the resolvers do: the same bytes, key order included,
and the same errors.

Three corpora, each run as several roles of both demo tenants, through an app that
compiles and an app that only resolves, on the same database:
- the example operations in graphql/operations/ (the queries among them);
- 2,000+ random valid queries generated from the schema (tests/compiler/corpus.py, seeded);
- every query the rest of the suite sends: the suite runs with
  MEDGRAPH_COMPILED_READS_VERIFY, which answers each compiled query by the resolvers too
  and fails the test on a difference (tests/conftest.py).
"""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from graphql import OperationDefinitionNode, OperationType, parse

from app.crypto import cipher_for
from app.settings import get_settings
from medgraph.asgi import create_app
from medgraph.demo import DEMO_PASSWORD, seed_demo
from medgraph.schema import build_schema
from schema.relay import to_global_id
from tests.compiler.corpus import Corpus
from tests.support import gql

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
TENANTS = ("acme-medical", "globex-health")
ROLES = ("owner", "manager", "provider", "viewer")
QUERIES_PER_IDENTITY = 250  # x 8 identities = 2,000 generated queries
SEED = 20261203

IDS_QUERY = """{ organizations(first: 10) { nodes { id facilities(first: 10) { nodes { id
  providerAssignments(first: 10) { nodes { id provider { id user { id } } } } } } } }
  users(first: 50) { nodes { id } } roles(first: 50) { nodes { id } }
  patients(first: 5) { nodes { id } }
  products(first: 8) { nodes { id manufacturer { id } sizes(first: 2) { nodes { id } }
    inventoryLevels(first: 2) { nodes { id location { id } } } } }
  orders(first: 12) { nodes { id salesRep { id } items(first: 2) { nodes { id } }
    statusHistory(first: 2) { nodes { id } } shipments(first: 2) { nodes { id } }
    checks(first: 2) { nodes { id } } } } }"""


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://medgraph.test")


@pytest.fixture(scope="module")
async def paths(owner_engine, api_engine):  # type: ignore[no-untyped-def]
    """(compiling client, resolving client, bearer headers per identity, IDs per tenant)."""
    await seed_demo(owner_engine, cipher_for(get_settings().phi_key_bytes))
    settings = get_settings().model_copy(update={"compiled_reads_verify": False, "execution_info": True})
    compiled = create_app(settings, "", engine=api_engine)
    resolved = create_app(settings.model_copy(update={"compiled_reads": False}), "", engine=api_engine)
    async with _client(compiled) as compiling, _client(resolved) as resolving:
        headers = {}
        for slug in TENANTS:
            for role in ROLES:
                login = await gql(
                    compiling,
                    "mutation($e: String!, $p: String!, $t: String!) { login(email: $e, password: $p, tenant: $t) { accessToken } }",
                    {"e": f"{role.replace('_', '.')}@{slug}.test", "p": DEMO_PASSWORD, "t": slug},
                )
                token = login["data"]["login"]["accessToken"]
                headers[slug, role] = {
                    "authorization": f"Bearer {token}",
                    "x-access-reason": "differential test",
                }
        ids = {}
        for slug in TENANTS:
            found = await gql(compiling, IDS_QUERY, None, headers[slug, "owner"])
            ids[slug] = sorted(set(_ids(found["data"])))
        yield compiling, resolving, headers, ids


def _ids(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == "id" and v] + [i for v in value.values() for i in _ids(v)]
    if isinstance(value, list):
        return [i for v in value for i in _ids(v)]
    return []


async def _both(paths: Any, identity: tuple[str, str], query: str, variables: dict[str, Any]) -> str:
    """Send the query through both paths; fail on any difference; return how it ran."""
    compiling, resolving, headers, _ = paths
    body = {"query": query, "variables": variables}
    answers = []
    for client in (compiling, resolving):
        response = await client.post("/graphql", json=body, headers=headers[identity])
        answer = orjson.loads(response.content)
        execution = answer.pop("extensions", {}).get("medgraph", {}).get("execution", "resolved")
        if "errors" in answer:  # sibling fields fail in whatever order they finish
            answer["errors"] = sorted(answer["errors"], key=orjson.dumps)
        answers.append((response.status_code, orjson.dumps(answer), execution))
    (status_c, compiled, how), (status_r, resolved, _) = answers
    assert (status_c, compiled) == (status_r, resolved), f"{identity} {query} {variables}"
    assert b"INTERNAL_SERVER_ERROR" not in compiled, compiled
    return how


def _query_operations() -> list[tuple[str, str]]:
    found = []
    for path in sorted(OPERATIONS.glob("*.graphql")):
        text = path.read_text()
        for definition in parse(text).definitions:
            if (
                isinstance(definition, OperationDefinitionNode)
                and definition.operation is OperationType.QUERY
            ):
                assert definition.name is not None
                found.append((text, definition.name.value))
    return found


OPERATION_VARIABLES: dict[str, list[dict[str, Any]]] = {
    "Organizations": [{}, {"first": 1}, {"first": 2, "search": "a"}, {"types": ["CLINIC", "HOSPITAL"]}],
    "PatientChart": [{"mrn": "MRN-1001"}, {"mrn": "nobody"}],
}


async def test_the_example_operations_answer_alike(paths):
    ran = Counter()
    for text, name in _query_operations():
        for variables in OPERATION_VARIABLES.get(name, [{}]):
            for slug in TENANTS:
                for role in ROLES:
                    ran[await _both(paths, (slug, role), text, variables)] += 1
    assert ran["compiled"] > 0, ran


async def test_a_generated_corpus_answers_alike(paths):
    ids = paths[3]
    gql_schema = build_schema(get_settings())._schema
    ran: Counter[str] = Counter()
    for n, slug in enumerate(TENANTS):
        other = TENANTS[1 - n]
        nowhere = [to_global_id("Organization", uuid.uuid4()), to_global_id("Unknown", uuid.uuid4())]
        pool = ids[slug] + ids[other][:10] + nowhere
        for m, role in enumerate(ROLES):
            corpus = Corpus(gql_schema, pool, seed=SEED + 10 * n + m)
            for query in corpus.queries(QUERIES_PER_IDENTITY):
                ran[await _both(paths, (slug, role), query.text, query.variables)] += 1
    total = sum(ran.values())
    assert total >= 2000
    # The corpus exercises the compiler, not only the fallback (the rest selects computed
    # fields, root fields with resolvers of their own, or what the role may not read).
    assert ran["compiled"] >= total * 0.4, ran
