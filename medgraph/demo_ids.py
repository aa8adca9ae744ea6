"""The demo tenants' ids: derived from names (uuid5), so a re-run finds what it made and
tests and benchmarks can name a row (`demo_id(slug, "provider", "0")`)."""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("6f1c2a4e-6d0b-4c55-9a63-0d7b8f1f2a10")


def demo_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(parts))
