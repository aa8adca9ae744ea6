"""Sign-in throttling that every API process shares, kept in PostgreSQL.

Each attempt is charged against its client address and its tenant + email, known
account or not; `signin_throttle_take` (migration 0003) answers how long to wait, or
counts the attempt. Keys are HMACs, so the table holds no address or email.

A process remembers, for a short while, what the database refused, so an attacker
repeating one refused attempt costs no round trip until the wait is over.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.settings import Settings

_TAKE = sa.text("SELECT signin_throttle_take(:keys, :limits, :window)")
_SWEEP = sa.text("SELECT signin_throttle_sweep(:limit)")
_REMEMBERED = 10_000
SWEEP_EVERY = 100  # attempts per process between sweeps of refilled keys


class SigninThrottle:
    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings
        self._secret = hashlib.sha256(b"medgraph/signin-throttle\x00" + settings.jwt_secret.encode()).digest()
        self._refused_until: dict[tuple[bytes, ...], float] = {}
        self._attempts = 0

    def _key(self, *parts: str) -> bytes:
        return hmac.new(self._secret, "\x1f".join(parts).encode(), hashlib.sha256).digest()

    async def wait_seconds(self, address: str | None, tenant: str, email: str) -> float:
        """0 when this attempt may go ahead (and is now counted), else seconds to wait."""
        settings = self._settings
        # Every attempt has an address: one that is missing or not an IP (a proxy that
        # passed along junk) is charged to a bucket of its own, never to none.
        where = _network(address) if address else "unknown"
        charges = [
            (self._key("account", tenant, email), settings.signin_attempts_per_account),
            (self._key("address", where), settings.signin_attempts_per_address),
        ]
        keys = tuple(key for key, _ in charges)
        now = time.monotonic()
        until = self._refused_until.get(keys)
        if until is not None and until > now:
            return until - now
        async with self._engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            wait = float(
                await conn.scalar(
                    _TAKE,
                    {
                        "keys": list(keys),
                        "limits": [limit for _, limit in charges],
                        "window": float(settings.signin_window_seconds),
                    },
                )
                or 0.0
            )
            self._attempts += 1
            if self._attempts % SWEEP_EVERY == 0:
                await conn.execute(_SWEEP, {"limit": 1000})
        if wait > 0:
            self._remember(keys, now + wait)
        return wait

    def _remember(self, keys: tuple[bytes, ...], until: float) -> None:
        if len(self._refused_until) >= _REMEMBERED:
            now = time.monotonic()
            self._refused_until = {k: u for k, u in self._refused_until.items() if u > now}
            if len(self._refused_until) >= _REMEMBERED:
                self._refused_until.clear()
        self._refused_until[keys] = until


def _network(address: str) -> str:
    """The unit one client controls: an IPv4 address, or an IPv6 /64 (a single host is
    usually handed a whole /64, and could otherwise try from a new address each time)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address.strip()[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
