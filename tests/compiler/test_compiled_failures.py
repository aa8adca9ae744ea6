"""A compiled statement that fails is an unexpected error like any other: masked, logged,
its transaction rolled back, and the next request served."""

from __future__ import annotations

import schema.compiler.run as run

QUERY = "{ organizations(first: 2) { nodes { id name } } }"


async def test_a_failing_statement_is_masked_and_leaks_no_sql(tenant_a, monkeypatch):
    monkeypatch.setattr(run, "_statement", lambda *_: "SELECT broken_function_of_the_compiler(1)")
    failed = await tenant_a.raw(QUERY)
    assert failed["data"] is None
    (error,) = failed["errors"]
    assert error["message"].startswith("Unexpected error (request id ")
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "broken_function" not in str(failed) and "SELECT" not in str(failed)
    monkeypatch.undo()
    served = await tenant_a.query(QUERY)
    assert len(served["organizations"]["nodes"]) == 2
