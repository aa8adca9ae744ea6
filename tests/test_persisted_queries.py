"""Automatic persisted queries (Apollo's APQ) over POST and GET: the handshake, GET by hash
alone with its caching headers, the refusals (each typed, none a 500) and the store's bound."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.persisted import QueryStore
from app.settings import Settings, get_settings
from medgraph.asgi import create_app

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
OPERATIONS = Path(__file__).resolve().parent.parent / "graphql" / "operations"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def pq(text_or_hash: str, version: object = 1) -> dict[str, Any]:
    digest = text_or_hash if len(text_or_hash) == 64 else sha(text_or_hash)
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


def fresh(query: str = "{ __typename }") -> str:
    """A text no other test has sent (the store lives as long as the app)."""
    return f"{query} # {uuid.uuid4().hex}"


async def post(
    client: httpx.AsyncClient, body: dict[str, Any], accept: str = JSON, **headers: str
) -> httpx.Response:
    return await client.post("/graphql", json=body, headers={"accept": accept, **headers})


async def get(
    client: httpx.AsyncClient, params: dict[str, Any], accept: str = JSON, **headers: str
) -> httpx.Response:
    encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return await client.get("/graphql", params=encoded, headers={"accept": accept, **headers})


def code_of(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


def assert_not_found(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "data" not in body
    assert body["errors"] == [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
    assert response.headers["cache-control"] == "private, no-store"


# --- the handshake --------------------------------------------------------------------


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
async def test_post_handshake_not_found_then_register_then_hit(client, accept):
    query = fresh()
    assert_not_found(await post(client, {"extensions": pq(query)}, accept))
    registered = await post(client, {"query": query, "extensions": pq(query)}, accept)
    assert registered.status_code == 200
    assert registered.json() == {"data": {"__typename": "Query"}}
    hit = await post(client, {"extensions": pq(query)}, accept)
    assert hit.status_code == 200 and hit.json() == {"data": {"__typename": "Query"}}
    assert hit.headers["content-type"].startswith(accept)


async def test_hash_alone_runs_with_variables_and_operation_name(client):
    query = fresh("query Skip($skip: Boolean!) { __typename @skip(if: $skip) } query Other { __typename }")
    body = {"query": query, "extensions": pq(query), "variables": {"skip": True}, "operationName": "Skip"}
    assert (await post(client, body)).json() == {"data": {}}
    hit = await post(client, {"extensions": pq(query), "variables": {"skip": False}, "operationName": "Skip"})
    assert hit.json() == {"data": {"__typename": "Query"}}


async def test_hash_in_uppercase_is_the_same_hash(client):
    query = fresh()
    await post(client, {"query": query, "extensions": pq(query)})
    hit = await post(client, {"extensions": pq(sha(query).upper())})
    assert hit.json() == {"data": {"__typename": "Query"}}


async def test_registered_documents_are_known_without_a_handshake(tenant_a, client):
    text = (OPERATIONS / "Me.graphql").read_bytes().decode()
    token = await tenant_a.token("manager")
    hit = await post(client, {"extensions": pq(text)}, authorization=f"Bearer {token}")
    assert hit.json()["data"]["me"]["roles"] == ["manager"]


async def test_extensions_without_a_persisted_query_change_nothing(client):
    for extensions in ({}, {"tracing": True}, None):
        response = await post(client, {"query": "{ __typename }", "extensions": extensions})
        assert response.json() == {"data": {"__typename": "Query"}}


# --- GET ------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [JSON, "*/*"])
async def test_get_by_hash_alone_after_registration(client, accept):
    query = fresh("query Named { __typename }")
    # A GET without `query` is never taken for a request for GraphiQL's page.
    assert_not_found(await get(client, {"extensions": pq(query)}, accept))
    await post(client, {"query": query, "extensions": pq(query)})
    hit = await get(client, {"extensions": pq(query), "operationName": "Named", "variables": {}}, accept)
    assert hit.status_code == 200, hit.text
    assert hit.json() == {"data": {"__typename": "Query"}}


async def test_get_registers_a_query_sent_with_its_hash(client):
    query = fresh()
    assert (await get(client, {"query": query, "extensions": pq(query)})).status_code == 200
    assert (await get(client, {"extensions": pq(query)})).json() == {"data": {"__typename": "Query"}}


async def test_get_caching_headers(tenant_a, client):
    anonymous = fresh()
    await post(client, {"query": anonymous, "extensions": pq(anonymous)})
    shared = await get(client, {"extensions": pq(anonymous)})
    assert shared.headers["cache-control"] == "public, max-age=60"
    assert shared.headers["vary"] == "Accept, Authorization"
    # Signed requests may answer with PHI: no cache keeps them, the browser's included.
    signed = fresh("{ organizations { totalCount } }")
    token = await tenant_a.token()
    await post(client, {"query": signed, "extensions": pq(signed)}, authorization=f"Bearer {token}")
    private = await get(client, {"extensions": pq(signed)}, authorization=f"Bearer {token}")
    assert private.json() == {"data": {"organizations": {"totalCount": 3}}}
    assert private.headers["cache-control"] == "private, no-store"
    assert private.headers["vary"] == "Accept, Authorization"
    # Refusals are not kept either.
    failed = await get(client, {"query": "{ nope }"}, GRAPHQL_RESPONSE)
    assert failed.status_code == 400 and failed.headers["cache-control"] == "private, no-store"


LOGOUT = 'mutation { logout(refreshToken: "00000000000000000000000000000000.x") { ok } }'


async def test_get_mutation_by_hash_is_405_and_never_registered(client):
    mutation = fresh(LOGOUT)
    refused = await get(client, {"query": mutation, "extensions": pq(mutation)}, GRAPHQL_RESPONSE)
    assert refused.status_code == 405 and "POST" in refused.headers["allow"]
    assert_not_found(await post(client, {"extensions": pq(mutation)}))
    # Registered by POST (where it runs), it is still refused by GET.
    ran = await post(client, {"query": mutation, "extensions": pq(mutation)})
    assert ran.status_code == 200 and ran.json()["data"] is not None, ran.text
    by_hash = await get(client, {"extensions": pq(mutation)}, GRAPHQL_RESPONSE)
    assert by_hash.status_code == 405 and "POST" in by_hash.headers["allow"]


# --- refusals -------------------------------------------------------------------------


async def test_a_hash_that_does_not_match_the_query_is_refused_and_not_stored(client):
    query, other = fresh(), fresh()
    for accept in (JSON, GRAPHQL_RESPONSE):
        response = await post(client, {"query": query, "extensions": pq(sha(other))}, accept)
        assert response.status_code == 400
        assert response.json() == {
            "errors": [
                {
                    "message": "provided sha does not match query",
                    "extensions": {"code": "PERSISTED_QUERY_HASH_MISMATCH"},
                }
            ]
        }
    assert_not_found(await post(client, {"extensions": pq(sha(other))}))


@pytest.mark.parametrize(
    "extensions",
    [
        "persisted",
        5,
        [],
        {"persistedQuery": "x"},
        {"persistedQuery": []},
        {"persistedQuery": {"version": 1}},
        {"persistedQuery": {"version": 1, "sha256Hash": 42}},
        {"persistedQuery": {"version": 1, "sha256Hash": "abc"}},
        {"persistedQuery": {"version": 1, "sha256Hash": "g" * 64}},
        {"persistedQuery": {"version": 1, "sha256Hash": "a" * 65}},
    ],
)
async def test_bad_extensions_are_a_typed_400(client, extensions):
    for body in ({"extensions": extensions}, {"query": "{ __typename }", "extensions": extensions}):
        response = await post(client, body)
        assert response.status_code == 400, response.text
        assert code_of(response) == "BAD_EXTENSIONS"
    response = await get(client, {"extensions": extensions})
    assert response.status_code == 400 and code_of(response) == "BAD_EXTENSIONS"


@pytest.mark.parametrize("raw", ["{nope", "5", "[]", '"x"', "null", "NaN"])
async def test_get_extensions_that_are_not_a_json_object_are_a_typed_400(client, raw):
    response = await client.get("/graphql", params={"query": "{ __typename }", "extensions": raw})
    assert response.status_code == 400, response.text
    assert code_of(response) == "BAD_EXTENSIONS"


@pytest.mark.parametrize("version", [2, 0, "1", 1.0, True, None, [1]])
async def test_an_unsupported_version_is_a_typed_400(client, version):
    query = fresh()
    for body in ({"extensions": pq(query, version)}, {"query": query, "extensions": pq(query, version)}):
        response = await post(client, body, GRAPHQL_RESPONSE)
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0] == {
            "message": "Unsupported persisted query version",
            "extensions": {"code": "PERSISTED_QUERY_VERSION_NOT_SUPPORTED"},
        }


async def test_document_limits_apply_and_refused_texts_are_not_stored(client):
    settings = get_settings()
    too_many_tokens = fresh("{ " + "__typename " * settings.max_tokens + "}")
    too_large = "{ __typename } #" + "x" * settings.max_query_bytes
    invalid = fresh("{ noSuchField }")
    for query, code in (
        (too_many_tokens, "TOO_MANY_TOKENS"),
        (too_large, "QUERY_TOO_LARGE"),
        (invalid, None),
    ):
        response = await post(client, {"query": query, "extensions": pq(query)}, GRAPHQL_RESPONSE)
        assert response.status_code == 400, response.text
        if code:
            assert code_of(response) == code
        assert_not_found(await post(client, {"extensions": pq(query)}))


# --- the store ------------------------------------------------------------------------


def test_the_store_drops_the_least_recently_used_past_its_bytes():
    store = QueryStore(budget=10, largest=8)
    store.put("a", "aaaa")
    store.put("b", "bbbb")
    assert store.get("a") == "aaaa"  # now b is the least recently used
    store.put("c", "ccc")
    assert (store.get("a"), store.get("b"), store.get("c")) == ("aaaa", None, "ccc")
    assert store.size == 7
    store.put("d", "d" * 9)  # larger than any one text may be
    assert store.get("d") is None and len(store) == 2
    store.put("e", "éé")  # bytes count, not characters: 4 more, so "a" goes
    assert (store.get("a"), store.size) == (None, 7)


async def test_the_store_is_bounded_by_its_setting(api_engine):
    query_a, query_b = fresh(), fresh()
    app = create_app(Settings(apq_cache_bytes=len(query_a) + 10), "", engine=api_engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://medgraph.test") as small:
        await post(small, {"query": query_a, "extensions": pq(query_a)})
        assert (await post(small, {"extensions": pq(query_a)})).json() == {"data": {"__typename": "Query"}}
        await post(small, {"query": query_b, "extensions": pq(query_b)})
        assert_not_found(await post(small, {"extensions": pq(query_a)}))
        assert (await post(small, {"extensions": pq(query_b)})).json() == {"data": {"__typename": "Query"}}
    assert app.state.medgraph.persisted.store.size <= len(query_a) + 10
