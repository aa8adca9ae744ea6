"""The fast lane (app/fast_lane.py) answers a repeated query before routing and the GraphQL
view, and a client cannot tell: the same status, media type, caching headers and body as
the pipeline, for POST and GET, both media types, and a persisted query sent by hash. What
it is not sure of goes to the pipeline; in verify mode a difference is reported."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from tests.support import app_with

QUERY = "query Orgs($n: Int!) { organizations(first: $n) { totalCount nodes { id name } } }"
HEADERS_THAT_MATTER = ("content-type", "cache-control", "vary")


def _app(api_engine, **settings):  # type: ignore[no-untyped-def]
    return app_with(api_engine, **({"compiled_reads_verify": False, "execution_info": True} | settings))


def _seen(response: httpx.Response) -> tuple:
    body = response.json()
    lane = body.pop("extensions", {}).get("medgraph", {}).get("lane", "pipeline")
    headers = {name: response.headers.get(name) for name in HEADERS_THAT_MATTER}
    return lane, response.status_code, headers, body


async def _three(client: httpx.AsyncClient, send) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [_seen(await send(client)) for _ in range(3)]


def _same_answer_then_fast(seen: list[tuple]) -> None:
    lanes = [lane for lane, *_ in seen]
    assert lanes == ["pipeline", "fast", "fast"], seen
    assert seen[0][1:] == seen[1][1:] == seen[2][1:], seen
    assert "errors" not in seen[0][3], seen


@pytest.mark.parametrize("accept", [None, "application/json", "application/graphql-response+json"])
async def test_post_and_get_answered_alike_by_both_lanes(api_engine, tenant_a, accept):  # type: ignore[no-untyped-def]
    token = {"authorization": f"Bearer {await tenant_a.token()}"} | ({"accept": accept} if accept else {})
    params = {"query": QUERY, "variables": json.dumps({"n": 2}), "operationName": "Orgs"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_app(api_engine)), base_url="http://t"
    ) as c:
        posted = await _three(
            c, lambda c: c.post("/graphql", json={"query": QUERY, "variables": {"n": 2}}, headers=token)
        )
        got = await _three(c, lambda c: c.get("/graphql", params=params, headers=token))
    _same_answer_then_fast(posted)
    _same_answer_then_fast(got)
    assert got[0][2]["cache-control"] == "private, no-store" and got[0][2]["vary"] == "Accept, Authorization"
    assert posted[0][2]["cache-control"] is None
    expected = accept if accept == "application/graphql-response+json" else "application/json"
    assert posted[0][2]["content-type"] == f"{expected}; charset=utf-8"
    assert posted[0][3] == got[0][3]


async def test_a_persisted_query_sent_by_hash_takes_the_fast_lane(api_engine, tenant_a):  # type: ignore[no-untyped-def]
    token = {"authorization": f"Bearer {await tenant_a.token()}"}
    digest = hashlib.sha256(QUERY.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_app(api_engine)), base_url="http://t"
    ) as c:
        missing = await c.post(
            "/graphql", json={"extensions": extensions, "variables": {"n": 1}}, headers=token
        )
        assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        sent = {"query": QUERY, "extensions": extensions, "variables": {"n": 1}}
        first = _seen(await c.post("/graphql", json=sent, headers=token))
        by_hash = [
            _seen(
                await c.post(
                    "/graphql", json={"extensions": extensions, "variables": {"n": 1}}, headers=token
                )
            )
            for _ in range(2)
        ]
    assert [first[0], *(lane for lane, *_ in by_hash)] == ["pipeline", "fast", "fast"]
    assert first[1:] == by_hash[0][1:] == by_hash[1][1:]


async def test_what_the_lane_is_not_sure_of_goes_to_the_pipeline(api_engine, tenant_a):  # type: ignore[no-untyped-def]
    token = {"authorization": f"Bearer {await tenant_a.token()}"}
    body = {"query": QUERY, "variables": {"n": 1}}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_app(api_engine)), base_url="http://t"
    ) as c:
        for _ in range(2):
            await c.post("/graphql", json=body, headers=token)
        refused = await c.post("/graphql", json=body, headers=token | {"accept": "text/plain"})
        bad_variable = _seen(await c.post("/graphql", json={**body, "variables": {"n": "x"}}, headers=token))
        anonymous = _seen(await c.post("/graphql", json=body))
        batch = await c.post("/graphql", json=[body], headers=token)
    assert refused.status_code == 406
    assert bad_variable[0] == "pipeline" and bad_variable[3]["errors"], bad_variable
    assert anonymous[0] == "pipeline" and anonymous[3]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert batch.status_code in (200, 400)  # the view's answer, whatever it is


async def test_verify_mode_reports_a_fast_answer_the_pipeline_does_not_give(
    api_engine, tenant_a, monkeypatch
):  # type: ignore[no-untyped-def]
    from schema.compiler import MISMATCHES
    from schema.compiler.run import CompiledReads

    token = {"authorization": f"Bearer {await tenant_a.token()}"}
    app = _app(api_engine, compiled_reads_verify=True)
    respond = CompiledReads.respond

    async def dropping_a_row(self, *args):  # type: ignore[no-untyped-def]
        body = await respond(self, *args)
        if body is None:
            return None
        answer = json.loads(body)
        answer["data"]["organizations"]["nodes"].pop()
        return json.dumps(answer).encode()

    monkeypatch.setattr(CompiledReads, "respond", dropping_a_row)
    before = len(MISMATCHES)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        for _ in range(2):
            await c.post("/graphql", json={"query": QUERY, "variables": {"n": 2}}, headers=token)
    found = MISMATCHES[before:]
    del MISMATCHES[before:]  # expected here: the autouse check must not fail this test
    assert len(found) == 1 and found[0]["query"] == QUERY, found
