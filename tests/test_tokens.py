"""Bad tokens are refused cleanly (never a 500), sessions end when they should, and sign-in
is throttled and audited."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest

from app.settings import get_settings
from medgraph.demo import DEMO_PASSWORD
from modules.tenancy.service import auth
from tests.support import LOGIN, access_claims, claims_of, gql, sign_token

ORGS = "{ organizations { totalCount } }"

REFRESH = """mutation Refresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) {
    accessToken refreshToken user { email } errors { field code message }
  }
}"""

LOGOUT = """mutation Logout($refreshToken: String!) {
  logout(refreshToken: $refreshToken) { ok errors { code message } }
}"""


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def _as(client, token: str | None, query: str = ORGS) -> dict[str, Any]:
    # Bytes, so a token that is not ASCII reaches the server as sent.
    headers = {"authorization": f"Bearer {token}".encode()} if token is not None else {}
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _assert_unauthenticated(result: dict[str, Any]) -> str:
    assert result["data"] is None, result
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED", error
    assert error["path"] == ["organizations"]
    return error["message"]


async def _login(tenant, role: str, password: str = DEMO_PASSWORD, slug: str | None = None, email=None):
    result = await gql(
        tenant.client,
        LOGIN,
        {"email": email or tenant.email(role), "password": password, "tenant": slug or tenant.slug},
    )
    assert "errors" not in result, result
    return result["data"]["login"]


async def _refresh(client, token: str) -> dict[str, Any]:
    result = await gql(client, REFRESH, {"refreshToken": token})
    assert "errors" not in result, result
    return result["data"]["refreshToken"]


def _codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


# --- bad access tokens ----------------------------------------------------------------


async def test_a_good_token_works(tenant_a, client):
    token = await tenant_a.token("owner")
    result = await _as(client, token)
    assert result == {"data": {"organizations": {"totalCount": 3}}}


async def test_no_authorization_header(client):
    message = _assert_unauthenticated(await _as(client, None))
    assert "Authorization" in message


async def test_expired_token(tenant_a, client):
    now = int(time.time())
    claims = await claims_of(tenant_a)
    claims.update(iat=now - 3600, exp=now - 60)
    message = _assert_unauthenticated(await _as(client, sign_token(claims)))
    assert "expired" in message.lower()


async def test_token_signed_with_another_key(tenant_a, client):
    claims = await claims_of(tenant_a)
    forged = sign_token(claims, secret="not-the-server-secret-" + "x" * 32)
    _assert_unauthenticated(await _as(client, forged))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_token_signed_with_another_algorithm(tenant_a, client):
    claims = await claims_of(tenant_a)
    forged = sign_token(claims, algorithm="HS512")
    _assert_unauthenticated(await _as(client, forged))


async def test_alg_none_token(tenant_a, client):
    claims = await claims_of(tenant_a)
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    _assert_unauthenticated(await _as(client, unsigned))


async def test_alg_none_token_with_signature_segment_stripped(tenant_a, client):
    claims = await claims_of(tenant_a)
    unsigned = f"{_b64({'alg': 'none'})}.{_b64(claims)}"
    _assert_unauthenticated(await _as(client, unsigned))


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "a.b.c",
        "....",
        "Bearer",
        "x" * 5000,
        "\u00e9\u00e9\u00e9.\u00e9.\u00e9",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0",
    ],
)
async def test_garbage_tokens(client, token):
    _assert_unauthenticated(await _as(client, token))


async def test_non_bearer_scheme(tenant_a, client):
    token = await tenant_a.token("owner")
    response = await client.post(
        "/graphql", json={"query": ORGS}, headers={"authorization": f"Basic {token}"}
    )
    assert response.status_code == 200
    _assert_unauthenticated(response.json())


async def test_valid_signature_but_not_an_access_token(tenant_a, client):
    claims = await claims_of(tenant_a)
    for typ in ("refresh", "id", None):
        forged = dict(claims, typ=typ) if typ else {k: v for k, v in claims.items() if k != "typ"}
        _assert_unauthenticated(await _as(client, sign_token(forged)))


async def test_valid_signature_but_wrong_issuer(tenant_a, client):
    claims = await claims_of(tenant_a)
    _assert_unauthenticated(await _as(client, sign_token(dict(claims, iss="someone-else"))))


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "tid", "iss"])
async def test_valid_signature_but_missing_claim(tenant_a, client, missing):
    claims = await claims_of(tenant_a)
    del claims[missing]
    _assert_unauthenticated(await _as(client, sign_token(claims)))


@pytest.mark.parametrize(
    "changes",
    [
        {"sub": "not-a-uuid"},
        {"tid": "not-a-uuid"},
        {"tid": None},
        {"sub": ["x"]},
        {"exp": "soon"},
        {"iat": "earlier"},
        {"roles": 5},
        pytest.param({"tid": 12}, id="tid-int"),
        pytest.param({"tid": {"a": 1}}, id="tid-object"),
    ],
)
async def test_valid_signature_but_malformed_claims(client, changes):
    _assert_unauthenticated(await _as(client, sign_token(access_claims(**changes))))


async def test_valid_signature_for_unknown_user(client):
    """A well-formed token naming no user (e.g. a deleted one) is refused, not a 500."""
    message = _assert_unauthenticated(await _as(client, sign_token(access_claims())))
    assert "deactivated" in message or "no longer exists" in message


async def test_token_for_another_tenant_sees_nothing_of_it(tenant_a, tenant_b, client):
    """Swapping the tenant claim (with a valid signature) finds no such user there."""
    claims = await claims_of(tenant_a)
    claims["tid"] = str(tenant_b.id)
    _assert_unauthenticated(await _as(client, sign_token(claims)))


async def test_refresh_token_used_as_access_token(tenant_a, client):
    session = await _login(tenant_a, "manager")
    _assert_unauthenticated(await _as(client, session["refreshToken"]))


async def test_deactivated_user_token_stops_working(tenant_a, client):
    viewer = await _login(tenant_a, "viewer")
    assert viewer["errors"] == []
    assert (await _as(client, viewer["accessToken"]))["data"]["organizations"]["totalCount"] == 3

    found = await tenant_a.query('{ users(filter: { search: "viewer" }) { nodes { id email } } }')
    (node,) = found["users"]["nodes"]
    assert node["email"] == tenant_a.email("viewer")
    result = await tenant_a.query(
        "mutation ($id: ID!) { deactivateUser(id: $id) { user { isActive } errors { code } } }",
        {"id": node["id"]},
    )
    assert result["deactivateUser"] == {"user": {"isActive": False}, "errors": []}

    # The access token is still unexpired and correctly signed, but refused now.
    message = _assert_unauthenticated(await _as(client, viewer["accessToken"]))
    assert "deactivated" in message
    # The refresh token was revoked with it.
    refreshed = await _refresh(client, viewer["refreshToken"])
    assert _codes(refreshed) == ["INVALID_TOKEN"] and refreshed["accessToken"] is None
    # And signing in again fails like any bad credentials.
    again = await _login(tenant_a, "viewer")
    assert _codes(again) == ["INVALID_CREDENTIALS"] and again["accessToken"] is None


# --- refresh tokens -------------------------------------------------------------------


async def test_refresh_with_malformed_tokens(client):
    for token in ["", "garbage", "nothex.secret", f"{uuid.uuid4().hex}.", "x" * 500]:
        payload = await _refresh(client, token)
        assert _codes(payload) == ["INVALID_TOKEN"], (token, payload)


async def test_refresh_with_unknown_token_of_a_real_tenant(tenant_a, client):
    payload = await _refresh(client, f"{tenant_a.id.hex}.not-a-real-secret")
    assert _codes(payload) == ["INVALID_TOKEN"]


async def test_refresh_token_of_one_tenant_relabelled_for_another(tenant_a, tenant_b, client):
    session = await _login(tenant_a, "manager")
    secret = session["refreshToken"].partition(".")[2]
    payload = await _refresh(client, f"{tenant_b.id.hex}.{secret}")
    assert _codes(payload) == ["INVALID_TOKEN"]


async def test_logout_revokes_the_family(tenant_a, client):
    session = await _login(tenant_a, "manager")
    rotated = await _refresh(client, session["refreshToken"])
    assert rotated["errors"] == []

    result = await gql(client, LOGOUT, {"refreshToken": rotated["refreshToken"]})
    assert result["data"]["logout"] == {"ok": True, "errors": []}

    after = await _refresh(client, rotated["refreshToken"])
    assert _codes(after) == ["INVALID_TOKEN"]

    unknown = await gql(client, LOGOUT, {"refreshToken": f"{tenant_a.id.hex}.unknown"})
    assert unknown["data"]["logout"]["ok"] is False
    assert [e["code"] for e in unknown["data"]["logout"]["errors"]] == ["INVALID_TOKEN"]

    malformed = await gql(client, LOGOUT, {"refreshToken": "garbage"})
    assert malformed["data"]["logout"]["ok"] is False


# --- sign-in --------------------------------------------------------------------------


async def test_login_lockout_after_repeated_failures(tenant_a):
    settings = get_settings()
    assert settings.login_max_failures == 5
    for _ in range(settings.login_max_failures):
        failed = await _login(tenant_a, "sales_rep", password="wrong password")
        assert _codes(failed) == ["INVALID_CREDENTIALS"]
        assert failed["accessToken"] is None
    locked = await _login(tenant_a, "sales_rep")  # the right password, while locked
    # The same answer as a wrong password: no hint that the email names an account.
    assert locked["errors"] == failed["errors"]
    assert locked["accessToken"] is None and locked["refreshToken"] is None
    # Another user of the same tenant is not affected.
    assert (await _login(tenant_a, "provider"))["errors"] == []


async def test_failures_below_the_limit_reset_on_success(tenant_a):
    for _ in range(get_settings().login_max_failures - 1):
        assert _codes(await _login(tenant_a, "provider", password="nope")) == ["INVALID_CREDENTIALS"]
    assert (await _login(tenant_a, "provider"))["errors"] == []
    for _ in range(get_settings().login_max_failures - 1):
        assert _codes(await _login(tenant_a, "provider", password="nope")) == ["INVALID_CREDENTIALS"]
    assert (await _login(tenant_a, "provider"))["errors"] == []


async def test_unknown_tenant_and_unknown_email_look_the_same(tenant_a):
    wrong_password = await _login(tenant_a, "owner", password="wrong password")
    wrong_tenant = await _login(tenant_a, "owner", slug=f"nope-{uuid.uuid4().hex[:8]}")
    wrong_email = await _login(tenant_a, "owner", email=f"nobody@{tenant_a.slug}.test")
    other_tenant_email = await _login(tenant_a, "owner", email="owner@elsewhere.test")
    payloads = [wrong_password, wrong_tenant, wrong_email, other_tenant_email]
    errors = [p["errors"] for p in payloads]
    assert errors[0] == [
        {"field": None, "code": "INVALID_CREDENTIALS", "message": auth.invalid().problems[0].message}
    ]
    assert all(e == errors[0] for e in errors), errors
    assert all(p["accessToken"] is None and p["user"] is None for p in payloads)


async def test_oversized_login_input_is_refused_cleanly(tenant_a):
    payload = await _login(tenant_a, "owner", password="x" * 5000)
    assert _codes(payload) == ["INVALID_CREDENTIALS"]
    payload = await _login(tenant_a, "owner", email="a" * 300 + "@x.test")
    assert _codes(payload) == ["INVALID_CREDENTIALS"]
