"""Documents are refused by cheap measures before the expensive validation rules run:
the size of the query text, its tokens, then the shape limits, then graphql-core's rules
with the work on repeated fields capped. Every refusal has a stable code, and parsed
documents are cached within a byte budget that oversized documents never enter."""

from __future__ import annotations

from graphql import parse

from app.settings import get_settings
from medgraph.schema import build_schema
from schema.documents import CachedDocument, DocumentCache, DocumentPipeline

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def _refused(client, query: str) -> set[str]:  # type: ignore[no-untyped-def]
    """Sent with no token at all: every limit holds before anyone signs in."""
    response = await client.post("/graphql", json={"query": query}, headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body
    return {error["extensions"]["code"] for error in body["errors"]}


async def test_query_text_over_the_byte_limit(client):
    limit = get_settings().max_query_bytes
    padded = "{ __typename }" + " " * limit
    assert await _refused(client, padded) == {"QUERY_TOO_LARGE"}
    comment = "# " + "é" * (limit // 2) + "\n{ __typename }"  # characters under, bytes over
    assert len(comment) < limit < len(comment.encode())
    assert await _refused(client, comment) == {"QUERY_TOO_LARGE"}


async def test_tokens_over_the_limit_have_a_code(client):
    assert await _refused(client, "{ " + "__typename " * (get_settings().max_tokens + 1) + "}") == {
        "TOO_MANY_TOKENS"
    }


async def test_field_selections_are_counted_with_fragments_expanded(client):
    settings = get_settings()
    per_fragment = 40
    spreads = settings.max_fields // per_fragment + 1
    fragment = "fragment F on Query { " + "__typename " * per_fragment + "}"
    query = "{ " + "...F " * spreads + "} " + fragment
    assert await _refused(client, query) == {"TOO_MANY_FIELDS"}


async def test_directives_over_the_limit(client):
    count = get_settings().max_directives + 1
    assert await _refused(client, "{ __typename " + "@include(if: true) " * count + "}") == {
        "TOO_MANY_DIRECTIVES"
    }


async def test_repeated_fields_are_refused_without_quadratic_work(client):
    tokens = get_settings().max_tokens
    # The attack of the report, four hundred copies of one field, has too many tokens now;
    # as many copies as the tokens allow are refused once the merge checks run out.
    assert await _refused(client, "{ " + "organizations { totalCount } " * 400 + "}") == {"TOO_MANY_TOKENS"}
    most = "{ " + "organizations { totalCount } " * ((tokens - 2) // 4) + "}"
    assert await _refused(client, most) == {"QUERY_TOO_COMPLEX"}
    # Repeats that disagree are refused the same way, whatever the arguments.
    varied = (
        "{ me { "
        + " ".join(f"user {{ {'id' if i % 2 else 'email'} }}" for i in range((tokens - 6) // 4))
        + " } }"
    )
    assert await _refused(client, varied) == {"QUERY_TOO_COMPLEX"}


async def test_a_document_over_the_limits_never_reaches_the_rules(client):
    # Over the field limit and full of repeats: only the cheap limit answers.
    settings = get_settings()
    fragment = "fragment F on Query { " + "organizations { totalCount } " * 50 + "}"
    spreads = settings.max_fields // 100 + 1
    assert await _refused(client, "{ " + "...F " * spreads + "} " + fragment) == {"TOO_MANY_FIELDS"}


async def test_ordinary_repeats_still_merge(tenant_a):
    data = await tenant_a.query(
        "fragment A on User { id email } fragment B on User { id fullName }"
        " { me { user { id ...A ...B } user { email } } }"
    )
    assert set(data["me"]["user"]) == {"id", "email", "fullName"}


def test_the_cache_is_bounded_by_the_bytes_it_holds():
    cache = DocumentCache(budget=1600)
    assert cache.largest == 100
    entry = CachedDocument(parse("{ __typename }"))
    cache.put("x" * 101, entry)
    assert len(cache) == 0  # larger than a sixteenth of the budget: never cached
    for i in range(40):
        cache.put(f"{i:03d}" + "y" * 97, entry)
        assert cache.size <= cache.budget
    assert len(cache) == 16
    assert cache.get("039" + "y" * 97) is entry and cache.get("000" + "y" * 97) is None


def test_oversized_documents_stay_out_of_the_shared_cache():
    settings = get_settings()
    pipeline = DocumentPipeline(settings, [])
    schema = build_schema(settings)._schema
    small = "{ __typename }"
    large = "{ __typename " + " " * pipeline.cache.largest + "}"
    for query in (small, large):
        pipeline.validate(schema, pipeline.parse(query), query)
    assert pipeline.cache.get(small) is not None
    assert pipeline.cache.get(large) is None
    assert pipeline.cache.size == len(small)


async def test_one_full_introspection_a_document(client):
    from graphql import get_introspection_query

    full = get_introspection_query(descriptions=True, specified_by_url=True, input_value_deprecation=True)
    response = await client.post("/graphql", json={"query": full})
    assert response.status_code == 200 and response.json()["data"]["__schema"]["types"]
    twice = "{ a: __schema { types { name } } b: __schema { types { name } } }"
    assert await _refused(client, twice) == {"QUERY_TOO_COSTLY"}


async def test_nodes_cost_as_many_as_their_ids(tenant_a):
    settings = get_settings()
    per_node = "... on Facility { organization { facilities(first: 100) { nodes { id name } } } }"
    ids = ", ".join(['"RmFjaWxpdHk6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw"'] * 100)
    query = f"{{ nodes(ids: [{ids}]) {{ {per_node} }} }}"
    result = await tenant_a.raw(query)
    assert result["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY", result
    by_variable = f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ {per_node} }} }}"
    assert settings.max_query_cost < 100 * 100 * 3
    result = await tenant_a.raw(by_variable, {"ids": []})
    assert result["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
