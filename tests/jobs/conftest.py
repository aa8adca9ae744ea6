"""The crash tests run on each broker: PostgreSQL always, RabbitMQ where one runs."""

from __future__ import annotations

import pytest

from tests.jobs_support import RABBITMQ_URL, rabbitmq_reachable


@pytest.fixture(params=["postgresql", "rabbitmq"])
def broker(request):  # type: ignore[no-untyped-def]
    """The worker processes' broker settings: PostgreSQL always, RabbitMQ where one runs."""
    if request.param == "postgresql":
        return {}
    why = rabbitmq_reachable()
    if why is not None:
        pytest.skip(why)
    return {"broker_url": RABBITMQ_URL}
