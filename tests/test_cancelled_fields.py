"""An error that nulls the whole answer makes graphql-core cancel the fields still running;
a statement cut off mid-flight used to leave the transaction unusable, and the fields
after it answered "Unexpected error" instead of the error that caused it (found by the
differential test's generated corpus)."""

from __future__ import annotations

CURSOR_OF_ANOTHER_ORDER = "WyJfIiwiOGJhY2ViMjQtMzY4Yy1iMzUyLWU2YjMtYmM2ZjEwNjg3Mjk0Il0="  # ["_", uuid]

QUERY = f"""query($last: Int, $in: Boolean!) {{
  providers(last: $last) {{ nodes {{ user @include(if: $in) {{ fullName }} createdAt
    addresses(first: 0, after: "{CURSOR_OF_ANOTHER_ORDER}") {{ totalCount }} }} totalCount }}
  a2: facilities {{ totalCount }} }}"""


async def test_the_request_answers_its_own_error_not_an_unexpected_one(tenant_a):
    for role in ("viewer", "owner"):
        for _ in range(5):
            answer = await tenant_a.raw(QUERY, {"last": 5, "in": True}, role=role)
            codes = {e.get("extensions", {}).get("code") for e in answer["errors"]}
            assert "INTERNAL_SERVER_ERROR" not in codes, answer
            assert any(e["message"] == "Invalid cursor" for e in answer["errors"]), answer
