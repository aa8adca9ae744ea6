"""Argon2id password hashing, off the event loop.

A hash is slow on purpose (about 60 ms of one core here). Run on the event loop it
stalls every other request: a sign-in flood once raised a signed-in user's `me` from
30 ms to 7 s. So requests hash and verify on a small pool of threads (argon2's C code
releases the GIL), and only so many may wait for it: past
`MEDGRAPH_PASSWORD_HASH_MAX_WAITING`, a sign-in is refused as busy instead of queueing
without end. The synchronous functions are for the CLI and seeding.

Parameters: OWASP's argon2id profile of 46 MiB, one pass, one lane. One lane keeps a
hash on one core, so hashing threads never take the core the event loop runs on. Hashes
made with other parameters still verify; `needs_rehash` tells when to replace one.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.settings import Settings

_hasher = PasswordHasher(time_cost=1, memory_cost=46 * 1024, parallelism=1)
# Verified against when the account does not exist, so a wrong email costs the
# same time as a wrong password and response timing reveals nothing.
_DUMMY_HASH = _hasher.hash("medgraph-timing-equaliser")

MIN_PASSWORD_LENGTH = 10


class HashingBusy(Exception):
    """More password checks are waiting than the server will queue."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True only for an existing hash that matches; None costs the same as a real check."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


class PasswordWorkers:
    """The bounded pool that requests hash and verify on."""

    def __init__(self, threads: int, max_waiting: int) -> None:
        threads = max(threads, 1)
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2")
        self._in_flight = 0
        self._capacity = threads + max_waiting  # running and waiting

    async def hash(self, password: str) -> str:
        return await self._run(hash_password, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await self._run(verify_password, password_hash, password)

    async def _run(self, work, *args):  # type: ignore[no-untyped-def]
        if self._in_flight >= self._capacity:
            raise HashingBusy
        self._in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)
        finally:
            self._in_flight -= 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def password_workers(settings: Settings) -> PasswordWorkers:
    return PasswordWorkers(settings.password_hash_threads, settings.password_hash_max_waiting)
