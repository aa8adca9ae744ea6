"""Sign-in attempts are limited per client address and per tenant + email (known or
not), in PostgreSQL so that every API process sees the same counts; passwords are
hashed and checked off the event loop, and a full queue of checks answers busy."""

from __future__ import annotations

import asyncio
import threading
import uuid

import httpx
import pytest
import sqlalchemy as sa

from app.auth import passwords
from app.auth.passwords import HashingBusy, PasswordWorkers
from app.settings import Settings
from medgraph.asgi import create_app
from medgraph.demo import DEMO_PASSWORD
from tests.support import LOGIN


def _limited_app(api_engine, **limits):  # type: ignore[no-untyped-def]
    settings = Settings(signin_window_seconds=60, signin_refusal_delay_ms=10, **limits)
    return create_app(settings, "", engine=api_engine)


def _client(app, address: str) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://medgraph.test")


def _address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


async def _login(client: httpx.AsyncClient, email: str, tenant: str, password: str = "wrong-password"):  # type: ignore[no-untyped-def]
    response = await client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"email": email, "password": password, "tenant": tenant}},
    )
    assert response.status_code == 200, response.text
    return response, response.json()["data"]["login"]


def _codes(payload) -> list[str]:  # type: ignore[no-untyped-def]
    return [error["code"] for error in payload["errors"]]


RETRY = LOGIN.replace("errors { field code message }", "errors { field code message } retryAfterSeconds")


async def test_an_unknown_email_is_limited_per_tenant_and_email(api_engine, tenant_a):
    app = _limited_app(api_engine, signin_attempts_per_account=3)
    email = f"nobody-{uuid.uuid4().hex[:6]}@{tenant_a.slug}.test"
    async with _client(app, _address()) as client:
        for _ in range(3):
            _, payload = await _login(client, email, tenant_a.slug)
            assert _codes(payload) == ["INVALID_CREDENTIALS"]
        response = await client.post(
            "/graphql",
            json={"query": RETRY, "variables": {"email": email, "password": "x", "tenant": tenant_a.slug}},
        )
        payload = response.json()["data"]["login"]
        assert _codes(payload) == ["RATE_LIMITED"] and payload["accessToken"] is None
        assert payload["retryAfterSeconds"] >= 1
        assert int(response.headers["retry-after"]) == payload["retryAfterSeconds"]
    # Another account from another address is not held back.
    async with _client(app, _address()) as client:
        _, payload = await _login(client, tenant_a.email("viewer"), tenant_a.slug, DEMO_PASSWORD)
        assert payload["errors"] == [] and payload["accessToken"]


async def test_a_known_account_is_limited_before_its_password_is_checked(api_engine, tenant_a, monkeypatch):
    app = _limited_app(api_engine, signin_attempts_per_account=2)
    async with _client(app, _address()) as client:
        for _ in range(2):
            await _login(client, tenant_a.email("manager"), tenant_a.slug)
        checked: list[str] = []
        monkeypatch.setattr(passwords, "verify_password", lambda *args: checked.append("x") or True)
        _, payload = await _login(client, tenant_a.email("manager"), tenant_a.slug, DEMO_PASSWORD)
        assert _codes(payload) == ["RATE_LIMITED"] and checked == []


async def test_one_address_is_limited_across_emails_and_tenants(api_engine, tenant_a, tenant_b):
    app = _limited_app(api_engine, signin_attempts_per_address=4)
    address = _address()
    async with _client(app, address) as client:
        for i in range(4):
            tenant = (tenant_a, tenant_b)[i % 2]
            _, payload = await _login(client, f"guess{i}@x.test", tenant.slug)
            assert _codes(payload) == ["INVALID_CREDENTIALS"]
        _, payload = await _login(client, tenant_a.email("owner"), tenant_a.slug, DEMO_PASSWORD)
        assert _codes(payload) == ["RATE_LIMITED"]
    async with _client(app, _address()) as client:  # the owner, from elsewhere
        _, payload = await _login(client, tenant_a.email("owner"), tenant_a.slug, DEMO_PASSWORD)
        assert payload["errors"] == []


async def test_every_process_sees_the_same_counts(api_engine, tenant_a):
    """Two apps, as two API processes would be: attempts on one count on the other."""
    first = _limited_app(api_engine, signin_attempts_per_account=2)
    second = _limited_app(api_engine, signin_attempts_per_account=2)
    email = f"shared-{uuid.uuid4().hex[:6]}@x.test"
    async with _client(first, _address()) as one, _client(second, _address()) as other:
        await _login(one, email, tenant_a.slug)
        await _login(other, email, tenant_a.slug)
        _, payload = await _login(one, email, tenant_a.slug)
        assert _codes(payload) == ["RATE_LIMITED"]
        _, payload = await _login(other, email, tenant_a.slug)
        assert _codes(payload) == ["RATE_LIMITED"]


async def test_passwords_are_checked_off_the_event_loop(client, tenant_a, monkeypatch):
    loop_thread = threading.current_thread()
    threads: list[threading.Thread] = []
    real = passwords.verify_password

    def spy(password_hash, password):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread())
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", spy)
    for email, password in ((tenant_a.email("viewer"), DEMO_PASSWORD), ("nobody@x.test", "whatever-pass")):
        await _login(client, email, tenant_a.slug, password)
    assert len(threads) == 2 and all(t is not loop_thread for t in threads)


async def test_a_full_queue_of_password_checks_answers_busy():
    workers = PasswordWorkers(threads=1, max_waiting=1)
    release = threading.Event()
    started = threading.Event()

    def slow(*_args: object) -> bool:
        started.set()
        release.wait(5)
        return False

    running = [asyncio.ensure_future(workers._run(slow)) for _ in range(2)]
    await asyncio.to_thread(started.wait, 5)
    with pytest.raises(HashingBusy):
        await workers._run(slow)
    release.set()
    assert await asyncio.gather(*running) == [False, False]
    assert await workers._run(lambda: True) is True
    workers.shutdown()


async def test_an_ipv6_client_is_one_slash_64(api_engine, tenant_a):
    app = _limited_app(api_engine, signin_attempts_per_address=2)
    prefix = f"2001:db8:{uuid.uuid4().int % 65535:x}:{uuid.uuid4().int % 65535:x}"
    for host in ("::1", "::2"):
        async with _client(app, f"{prefix}:{host.strip(':')}:0:0:0") as client:
            _, payload = await _login(client, f"v6-{host}@x.test", tenant_a.slug)
            assert _codes(payload) == ["INVALID_CREDENTIALS"]
    async with _client(app, f"{prefix}:ffff:0:0:9") as client:
        _, payload = await _login(client, "v6-third@x.test", tenant_a.slug)
        assert _codes(payload) == ["RATE_LIMITED"]


def test_limits_must_be_positive():
    with pytest.raises(ValueError):
        Settings(signin_attempts_per_account=0)
    with pytest.raises(ValueError):
        Settings(max_body_bytes=-1)


async def test_the_sweep_drops_refilled_keys_and_only_those(api_engine, owner_engine):
    refilled, busy = uuid.uuid4().bytes, uuid.uuid4().bytes
    async with api_engine.begin() as conn:
        for key, window in ((refilled, 0.001), (busy, 3600.0)):
            wait = await conn.scalar(
                sa.text("SELECT signin_throttle_take(:k, :l, :w)"), {"k": [key], "l": [1], "w": window}
            )
            assert wait == 0
    await asyncio.sleep(0.05)
    async with api_engine.begin() as conn:
        assert await conn.scalar(sa.text("SELECT signin_throttle_sweep(100000)")) >= 1
    async with owner_engine.connect() as conn:
        left = set(
            (
                await conn.execute(
                    sa.text("SELECT key FROM signin_throttle WHERE key = ANY(:k)"), {"k": [refilled, busy]}
                )
            ).scalars()
        )
    assert left == {busy}


async def test_an_address_that_is_no_ip_is_still_charged(api_engine, tenant_a):
    app = _limited_app(api_engine, signin_attempts_per_address=1)
    junk = f"junk-{uuid.uuid4().hex[:8]}"
    async with _client(app, junk) as client:
        _, first = await _login(client, "a@x.test", tenant_a.slug)
        _, second = await _login(client, "b@x.test", tenant_a.slug)
    assert _codes(first) == ["INVALID_CREDENTIALS"] and _codes(second) == ["RATE_LIMITED"]
