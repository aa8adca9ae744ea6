"""Sessions: a refresh-token family and the access tokens issued with it.

Rotation hands out a successor; the rotated token presented again within the reuse
window (two tabs refreshing at once) yields that same successor, and later revokes
the whole session as a reuse. Ending a session (sign-out, reuse) refuses its access
tokens on their next request. Every sign-in event is audited, refreshes included.
"""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from app.auth.tokens import hash_refresh_token
from medgraph.demo import DEMO_PASSWORD
from tests.support import LOGIN, gql

ME = "{ me { user { email } } }"
REFRESH = """mutation Refresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) {
    accessToken refreshToken user { email } errors { field code message }
  }
}"""
LOGOUT = "mutation($t: String!) { logout(refreshToken: $t) { ok errors { code } } }"


async def _login(tenant, role: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    variables = {"email": tenant.email(role), "password": DEMO_PASSWORD, "tenant": tenant.slug}
    payload = (await gql(tenant.client, LOGIN, variables))["data"]["login"]
    assert payload["errors"] == [], payload
    return payload


async def _refresh(client, token: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return (await gql(client, REFRESH, {"refreshToken": token}))["data"]["refreshToken"]


async def _me(client, access_token: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return await gql(client, ME, None, {"authorization": f"Bearer {access_token}"})


def _codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def _ended(result: dict[str, Any]) -> None:
    assert result["data"] is None, result
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED" and "session has ended" in error["message"]


async def _age_rotation(owner_engine, token: str, seconds: int = 3600) -> None:  # type: ignore[no-untyped-def]
    """Make a rotated token's rotation look `seconds` old: past the reuse window."""
    async with owner_engine.begin() as conn:
        await conn.execute(
            sa.text(
                "UPDATE refresh_tokens SET revoked_at = revoked_at - make_interval(secs => :s) WHERE token_hash = :h"
            ),
            {"s": seconds, "h": hash_refresh_token(token)},
        )


async def test_sign_out_ends_the_sessions_access_tokens(tenant_a, client):
    session, other = await _login(tenant_a, "manager"), await _login(tenant_a, "manager")
    assert (await _me(client, session["accessToken"]))["data"]["me"]["user"]["email"] == tenant_a.email(
        "manager"
    )
    result = await gql(client, LOGOUT, {"t": session["refreshToken"]})
    assert result["data"]["logout"] == {"ok": True, "errors": []}
    _ended(await _me(client, session["accessToken"]))
    # The user's other session goes on.
    assert (await _me(client, other["accessToken"]))["data"]["me"]["user"]["email"]


async def test_two_tabs_refreshing_at_once_get_the_same_successor(tenant_a, client):
    session = await _login(tenant_a, "manager")
    one, two = await asyncio.gather(
        _refresh(client, session["refreshToken"]), _refresh(client, session["refreshToken"])
    )
    assert one["errors"] == [] and two["errors"] == []
    assert one["refreshToken"] == two["refreshToken"] != session["refreshToken"]
    assert one["accessToken"] != two["accessToken"]
    for payload in (one, two):
        assert (await _me(client, payload["accessToken"]))["data"]["me"]
    # The shared successor rotates as usual, and the session is alive throughout.
    onward = await _refresh(client, one["refreshToken"])
    assert onward["errors"] == [] and (await _me(client, session["accessToken"]))["data"]["me"]


async def test_a_rotated_token_within_the_window_after_its_successor_rotated(tenant_a, client):
    session = await _login(tenant_a, "manager")
    second = await _refresh(client, session["refreshToken"])
    third = await _refresh(client, second["refreshToken"])
    # The first token's successor is no longer live: refused, but nothing is revoked.
    late = await _refresh(client, session["refreshToken"])
    assert _codes(late) == ["INVALID_TOKEN"] and late["accessToken"] is None
    assert (await _refresh(client, third["refreshToken"]))["errors"] == []


async def test_reuse_after_the_window_revokes_the_session(tenant_a, client, owner_engine):
    first = await _login(tenant_a, "manager")
    second = await _refresh(client, first["refreshToken"])
    assert second["errors"] == [] and second["user"]["email"] == tenant_a.email("manager")
    third = await _refresh(client, second["refreshToken"])
    assert third["errors"] == []
    await _age_rotation(owner_engine, first["refreshToken"])
    reused = await _refresh(client, first["refreshToken"])
    assert _codes(reused) == ["INVALID_TOKEN"] and reused["refreshToken"] is None
    # The whole session is revoked: its newest refresh token and its access tokens.
    assert _codes(await _refresh(client, third["refreshToken"])) == ["INVALID_TOKEN"]
    _ended(await _me(client, third["accessToken"]))
    # Another session of the same user is unaffected.
    other = await _login(tenant_a, "manager")
    assert (await _refresh(client, other["refreshToken"]))["errors"] == []


async def test_a_new_password_ends_every_session(tenant_a, client):
    session = await _login(tenant_a, "viewer")
    assert (await _me(client, session["accessToken"]))["data"]["me"]["user"]
    users = await tenant_a.query('{ users(filter: {search: "viewer"}) { nodes { id } } }')
    changed = await tenant_a.query(
        'mutation($id: ID!) { updateUser(id: $id, input: {password: "a-new-long-password"}) { errors { code } } }',
        {"id": users["users"]["nodes"][0]["id"]},
    )
    assert changed["updateUser"]["errors"] == []
    _ended(await _me(client, session["accessToken"]))


async def test_sign_in_events_are_audited(tenant_a, owner_engine):
    await tenant_a.login("viewer", password="wrong-password")
    session = await tenant_a.login("viewer")
    refreshed = await _refresh(tenant_a.client, session["refreshToken"])
    await _refresh(tenant_a.client, session["refreshToken"])  # within the window: the same successor
    await _age_rotation(owner_engine, session["refreshToken"])
    await _refresh(tenant_a.client, session["refreshToken"])  # past it: reuse
    other = await tenant_a.login("viewer")
    await gql(tenant_a.client, LOGOUT, {"t": other["refreshToken"]})
    assert refreshed["errors"] == []
    log = await tenant_a.query(
        '{ auditLog(first: 50, filter: {entityType: "User"}) { nodes { action changes } } }'
    )
    actions = [n["action"] for n in log["auditLog"]["nodes"]]
    assert {"user.login_failed", "user.login", "user.refresh", "user.refresh_reuse", "user.logout"} <= set(
        actions
    )
    refreshes = [n["changes"] for n in log["auditLog"]["nodes"] if n["action"] == "user.refresh"]
    assert len(refreshes) == 2 and any(c.get("within_reuse_window") for c in refreshes)


async def _during_a_refresh(tenant, client, monkeypatch, role: str, interrupt):  # type: ignore[no-untyped-def]
    """Run `interrupt` while a refresh has inserted its successor but not committed; return
    the refresh's answer and the interruption's."""
    from modules.tenancy.service import auth

    session = await _login(tenant, role)
    reached, release = asyncio.Event(), asyncio.Event()
    issue = auth._issue

    async def held_open(*args, **kwargs):  # type: ignore[no-untyped-def]
        issued = await issue(*args, **kwargs)
        reached.set()
        await release.wait()
        return issued

    monkeypatch.setattr(auth, "_issue", held_open)
    refreshing = asyncio.create_task(_refresh(client, session["refreshToken"]))
    await asyncio.wait_for(reached.wait(), 10)
    interrupting = asyncio.create_task(interrupt(session))
    await asyncio.sleep(0.3)  # the interruption is under way: waiting, or (the bug) done already
    release.set()
    refreshed, interrupted = await asyncio.wait_for(asyncio.gather(refreshing, interrupting), 10)
    monkeypatch.undo()
    return refreshed, interrupted


async def _assert_the_session_ended(client, refreshed) -> None:  # type: ignore[no-untyped-def]
    if refreshed["errors"]:  # the interruption landed before the refresh's answer was made
        assert _codes(refreshed) == ["INVALID_TOKEN"] and refreshed["accessToken"] is None
        return
    # Or the answer went out first: the successor it carried is dead all the same.
    assert _codes(await _refresh(client, refreshed["refreshToken"])) == ["INVALID_TOKEN"]
    _ended(await _me(client, refreshed["accessToken"]))


async def test_sign_out_during_a_refresh_still_ends_the_session(tenant_a, client, monkeypatch):
    async def sign_out(session):  # type: ignore[no-untyped-def]
        return await gql(client, LOGOUT, {"t": session["refreshToken"]})

    refreshed, signed_out = await _during_a_refresh(tenant_a, client, monkeypatch, "manager", sign_out)
    assert signed_out["data"]["logout"]["ok"] is True
    await _assert_the_session_ended(client, refreshed)


async def test_a_new_password_during_a_refresh_ends_the_session_without_a_deadlock(
    tenant_a, client, monkeypatch
):
    users = await tenant_a.query('{ users(filter: {search: "sales.rep"}) { nodes { id } } }')
    user_id = users["users"]["nodes"][0]["id"]

    async def new_password(_session):  # type: ignore[no-untyped-def]
        return await tenant_a.raw(
            'mutation($id: ID!) { updateUser(id: $id, input: {password: "another-long-password"}) { errors { code } } }',
            {"id": user_id},
        )

    refreshed, changed = await _during_a_refresh(tenant_a, client, monkeypatch, "sales_rep", new_password)
    assert changed == {"data": {"updateUser": {"errors": []}}}
    await _assert_the_session_ended(client, refreshed)
