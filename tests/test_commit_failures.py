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
