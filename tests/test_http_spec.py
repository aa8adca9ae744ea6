"""GraphQL over HTTP: media types, status codes, GET, the IDE page, and the operational
endpoints (/healthz, /readyz, /metrics, X-Request-Id)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from medgraph.demo import DEMO_PASSWORD

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"

CREATE_ORG = """mutation Create($input: OrganizationInput!) {
  createOrganization(input: $input) { organization { id name } errors { code } }
}"""
ORG_BY_NAME = "query ($search: String) { organizations(filter: { search: $search }) { totalCount } }"


async def post(client: httpx.AsyncClient, body: object, accept: str | None = None, **headers: str):
    if accept is not None:
        headers["accept"] = accept
    return await client.post("/graphql", json=body, headers=headers)


def media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


# --- application/graphql-response+json ------------------------------------------------


async def test_graphql_response_media_type_for_a_valid_query(client):
    response = await post(client, {"query": "{ __typename }"}, GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert media(response) == GRAPHQL_RESPONSE
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_graphql_response_syntax_error_is_400_without_data(client):
    response = await post(client, {"query": "{ __typename"}, GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert media(response) == GRAPHQL_RESPONSE
    body = response.json()
    assert body["errors"] and "Syntax Error" in body["errors"][0]["message"]
    assert "data" not in body


async def test_graphql_response_validation_error_is_400_without_data(client):
    response = await post(client, {"query": "{ noSuchField }"}, GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert media(response) == GRAPHQL_RESPONSE
    body = response.json()
    assert "noSuchField" in body["errors"][0]["message"]
    assert "data" not in body


async def test_graphql_response_execution_error_keeps_data_and_200(client):
    """An error while executing (here: not signed in) is not a request error."""
    response = await post(client, {"query": "{ organizations { totalCount } }"}, GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert media(response) == GRAPHQL_RESPONSE
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_graphql_response_preferred_by_quality(client):
    accept = f"{JSON};q=0.5, {GRAPHQL_RESPONSE};q=0.9"
    response = await post(client, {"query": "{ __typename }"}, accept)
    assert response.status_code == 200 and media(response) == GRAPHQL_RESPONSE


# --- application/json -----------------------------------------------------------------


async def test_json_syntax_error_stays_200_with_errors(client):
    response = await post(client, {"query": "{ __typename"}, JSON)
    assert response.status_code == 200
    assert media(response) == JSON
    body = response.json()
    assert body["errors"] and "Syntax Error" in body["errors"][0]["message"]


async def test_json_validation_error_stays_200(client):
    response = await post(client, {"query": "{ noSuchField }"}, JSON)
    assert response.status_code == 200 and media(response) == JSON
    assert response.json()["errors"]


async def test_no_accept_header_answers_json(client):
    request = client.build_request("POST", "/graphql", json={"query": "{ __typename }"})
    del request.headers["accept"]
    response = await client.send(request)
    assert "accept" not in response.request.headers
    assert response.status_code == 200
    assert media(response) == JSON
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_accept_star_answers_json(client):
    response = await post(client, {"query": "{ __typename }"}, "*/*")
    assert response.status_code == 200 and media(response) == JSON


async def test_accept_html_only_is_406(client):
    response = await post(client, {"query": "{ __typename }"}, "text/html")
    assert response.status_code == 406
    assert "errors" in response.json()


async def test_accept_with_zero_quality_is_406(client):
    response = await post(client, {"query": "{ __typename }"}, f"{JSON};q=0, {GRAPHQL_RESPONSE};q=0")
    assert response.status_code == 406


async def test_406_mutation_is_not_executed(tenant_a, client):
    name = f"Not Acceptable {uuid.uuid4().hex[:8]}"
    token = await tenant_a.token("owner")
    response = await post(
        client,
        {"query": CREATE_ORG, "variables": {"input": {"name": name, "type": "CLINIC"}}},
        "text/html",
        authorization=f"Bearer {token}",
    )
    assert response.status_code == 406
    found = await tenant_a.query(ORG_BY_NAME, {"search": name})
    assert found["organizations"]["totalCount"] == 0


# --- malformed requests ---------------------------------------------------------------


async def test_malformed_json_body_is_400(client):
    response = await client.post(
        "/graphql", content=b'{"query": "{ __typename }"', headers={"content-type": JSON}
    )
    assert response.status_code == 400
    assert "JSON" in response.text


async def test_missing_query_is_400(client):
    response = await post(client, {"variables": {}})
    assert response.status_code == 400
    assert "query" in response.text.lower()


async def test_non_string_query_is_400(client):
    response = await post(client, {"query": 42})
    assert response.status_code == 400


async def test_unsupported_content_type_is_400(client):
    response = await client.post(
        "/graphql", content=b"{ __typename }", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 400


# --- GET ------------------------------------------------------------------------------


async def test_get_runs_a_query(client):
    response = await client.get("/graphql?query={__typename}")
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_get_query_with_variables(client):
    query = "query ($skip: Boolean!) { __typename @skip(if: $skip) }"
    for skip, expected in (("false", {"__typename": "Query"}), ("true", {})):
        response = await client.get(
            "/graphql", params={"query": query, "variables": f'{{"skip": {skip}}}'}, headers={"accept": JSON}
        )
        assert response.status_code == 200
        assert response.json() == {"data": expected}


async def test_get_with_malformed_variables_is_400(client):
    response = await client.get(
        "/graphql", params={"query": "{ __typename }", "variables": "{nope"}, headers={"accept": JSON}
    )
    assert response.status_code == 400


LOGOUT_MUTATION = 'mutation { logout(refreshToken: "00000000000000000000000000000000.x") { ok } }'


async def test_get_refuses_a_mutation_without_running_it(tenant_a, client):
    login = (
        f'mutation {{ login(email: "{tenant_a.email("owner")}", password: "{DEMO_PASSWORD}",'
        f' tenant: "{tenant_a.slug}") {{ accessToken }} }}'
    )
    for accept in (JSON, GRAPHQL_RESPONSE):
        response = await client.get("/graphql", params={"query": login}, headers={"accept": accept})
        assert response.status_code in (400, 405), response.text
        assert "mutation" in response.text.lower()
        assert "accessToken" not in response.text


async def test_get_mutation_is_405(client):
    response = await client.get(
        "/graphql", params={"query": LOGOUT_MUTATION}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 405
    assert "POST" in response.headers.get("allow", "")


async def test_get_without_query_and_html_accept_renders_graphiql(client):
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert media(response) == "text/html"
    assert "graphiql" in response.text.lower()


async def test_other_methods_are_refused(client):
    response = await client.put("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405


# --- operational endpoints ------------------------------------------------------------


async def test_healthz(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_migrations(client):
    from app.migrate import head_revision
    from medgraph.installed import migration_locations

    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert body["migrations"] == head_revision(migration_locations())


async def test_metrics(tenant_a, client):
    await tenant_a.query("{ organizations { totalCount } }")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "medgraph_graphql_requests_total" in response.text
    assert "medgraph_db_statements_total" in response.text


async def test_request_id_is_generated(client):
    response = await client.get("/healthz")
    request_id = response.headers.get("x-request-id")
    assert request_id and request_id.isalnum() and len(request_id) == 32


async def test_request_id_echoes_a_sane_supplied_id(client):
    supplied = f"trace-{uuid.uuid4().hex[:12]}"
    response = await post(client, {"query": "{ __typename }"}, **{"x-request-id": supplied})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == supplied


@pytest.mark.parametrize("supplied", ["has space", "<script>", "semi;colon", "!" + "x" * 70])
async def test_request_id_replaces_an_unsafe_supplied_id(client, supplied):
    response = await client.get("/healthz", headers={"x-request-id": supplied})
    echoed = response.headers["x-request-id"]
    assert echoed != supplied
    assert echoed.isalnum() and echoed.isascii() and len(echoed) == 32


async def test_request_id_over_64_characters_is_replaced(client):
    response = await client.get("/healthz", headers={"x-request-id": "a" * 100})
    assert response.headers["x-request-id"] != "a" * 100
    assert len(response.headers["x-request-id"]) == 32


async def test_a_subscription_sent_over_http_is_refused_as_a_request_error(tenant_a):
    token = await tenant_a.token()
    response = await tenant_a.client.post(
        "/graphql",
        json={"query": "subscription { heartbeat { at } }"},
        headers={"authorization": f"Bearer {token}", "accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400, response.text
    assert "subscription" in response.text.lower()
