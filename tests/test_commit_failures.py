"""A failure at COMMIT is masked like any unexpected error, and nothing is kept."""

from __future__ import annotations

import sqlalchemy as sa
import structlog


async def test_a_failing_commit_is_masked_and_keeps_nothing(tenant_a, owner_engine):
    """An error raised at COMMIT (here a deferred constraint trigger whose message
    carries a secret) reaches the client as "Unexpected error", with nothing kept."""
    secret = "S3CRET-AT-COMMIT"
    async with owner_engine.begin() as conn:
        await conn.execute(
            sa.text(
                "CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN IF NEW.name LIKE 'Refused%' THEN RAISE EXCEPTION '{secret} %', NEW.id; END IF;"
                " RETURN NEW; END $$"
            )
        )
        await conn.execute(
            sa.text(
                "CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON organizations"
                " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit()"
            )
        )
    try:
        with structlog.testing.capture_logs() as logs:
            token = await tenant_a.token()
            response = await tenant_a.client.post(
                "/graphql",
                json={
                    "query": 'mutation { createOrganization(input: {name: "Refused Clinic", type: CLINIC}) {'
                    " organization { id } errors { code } } }"
                },
                headers={"authorization": f"Bearer {token}", "accept": "application/graphql-response+json"},
            )
    finally:
        async with owner_engine.begin() as conn:
            await conn.execute(sa.text("DROP TRIGGER refuse_at_commit ON organizations"))
            await conn.execute(sa.text("DROP FUNCTION refuse_at_commit()"))
    # The request was valid: the spec's 2xx for a response whose data is null.
    assert response.status_code == 200, response.text
    result = response.json()
    assert "data" in result and result["data"] is None, result
    (error,) = result["errors"]
    assert error["message"].startswith("Unexpected error (request id"), error
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert secret not in repr(result) and secret not in repr(logs)
    found = await tenant_a.query('{ organizations(filter: {search: "Refused"}) { totalCount } }')
    assert found["organizations"]["totalCount"] == 0


async def test_a_field_error_that_nulls_the_response_is_a_clean_error(tenant_a):
    """graphql-core cancels the siblings of a field whose error nulls the whole response,
    possibly mid-statement: the request keeps nothing and answers the client's error."""
    for sibling in ("roles(first: -1) { totalCount }", 'roles(after: "garbage") { totalCount }'):
        result = await tenant_a.raw(f"{{ a: roles(first: 5) {{ nodes {{ id }} }} x: {sibling} }}")
        assert result["data"] is None
        assert [e["extensions"]["code"] for e in result["errors"]] == ["BAD_USER_INPUT"], result


async def test_a_mutation_document_without_data_keeps_nothing(tenant_a):
    """The manager may create organizations but not roles: the refused second field nulls
    the response, and the first field's organization is not kept either."""
    result = await tenant_a.raw(
        'mutation { a: createOrganization(input: {name: "Half Done", type: CLINIC}) { organization { id } }'
        ' b: createRole(input: {key: "nope", name: "Nope"}) { role { id } } }',
        role="manager",
    )
    assert result["data"] is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
    found = await tenant_a.query('{ organizations(filter: {search: "Half Done"}) { totalCount } }')
    assert found["organizations"]["totalCount"] == 0
