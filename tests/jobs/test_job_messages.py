"""How events become messages (message handling alone, no broker): consecutive events of
one tenant in messages of up to the job's batch, under IDs that are the same each time
the same page is relayed; a split message's parts under IDs made from its own."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from app.events import Event
from app.jobs import JOBS, job, job_events, messages_again, messages_for, split_message
from modules.orders.actors import BATCH, JOB
from modules.orders.events import ORDER_STATUS_CHANGED, ORDER_SUBMITTED

TENANT = uuid.uuid4()


def _event(sequence: int, type_: str = ORDER_SUBMITTED.name) -> Event:
    payload = {"facility_id": str(uuid.uuid4()), "status": "submitted", "round": 1}
    return Event(TENANT, sequence, type_, "Order", uuid.uuid4(), None, payload, dt.datetime.now(dt.UTC))


def test_a_page_of_events_becomes_messages_of_up_to_a_batch():
    page = [_event(s) for s in range(1, 251)]
    page.insert(100, _event(1000, ORDER_STATUS_CHANGED.name))  # no job reacts to it here
    messages = messages_for(page)
    assert [len(m.args[1]) for m in messages] == [BATCH, BATCH, 50]
    assert {m.actor_name for m in messages} == {JOB}
    carried = [event for m in messages for event in job_events(m.args)]
    assert [e.sequence for e in carried] == list(range(1, 251))  # in order, none twice
    assert [e.entity_id for e in carried] == [e.entity_id for e in page if e.type == ORDER_SUBMITTED.name]
    assert all(e.tenant_id == TENANT for e in carried)
    # The same page relayed again (the relay crashed before recording it): the same IDs.
    assert [m.message_id for m in messages_for(page)] == [m.message_id for m in messages]
    # A page that has grown meanwhile: its full batches are the same messages.
    grown = messages_for([*page, _event(251)])
    assert [m.message_id for m in grown[:2]] == [m.message_id for m in messages[:2]]


def test_a_split_message_is_one_message_per_event_under_ids_of_its_own():
    (message,) = messages_for([_event(s) for s in range(1, 4)])
    parts = split_message(message)
    assert [job_events(p.args)[0].sequence for p in parts] == [1, 2, 3]
    assert len({p.message_id for p in parts} | {message.message_id}) == 4
    assert [p.message_id for p in split_message(message)] == [p.message_id for p in parts]


def test_work_sent_again_is_one_message_per_order_under_its_own_key():
    work = [
        (uuid.uuid4(), {"facility_id": uuid.uuid4(), "status": "submitted", "round": 2}, f"k{i}")
        for i in range(3)
    ]
    messages = messages_again(JOB, TENANT, ORDER_SUBMITTED, work)
    assert [len(m.args[1]) for m in messages] == [1, 1, 1]
    first = job_events(messages[0].args)[0]
    assert (first.sequence, first.entity_id, first.payload["round"]) == (0, work[0][0], 2)
    assert isinstance(first.payload["facility_id"], str)  # checked as the event's payload: IDs as text
    # Resent on the next tick beside other stuck orders: still the same message.
    again = messages_again(JOB, TENANT, ORDER_SUBMITTED, work[1:2])
    assert again[0].message_id == messages[1].message_id
    with pytest.raises(AssertionError):
        messages_again(JOB, TENANT, ORDER_STATUS_CHANGED, work)


def test_a_message_from_before_batches_is_read_as_one_event():
    entity = uuid.uuid4()
    (event,) = job_events([str(TENANT), 7, ORDER_SUBMITTED.name, str(entity), {"round": 1}])
    assert (event.tenant_id, event.sequence, event.entity_id) == (TENANT, 7, entity)


def test_a_batch_is_bounded():
    for batch in (0, 501):
        with pytest.raises(ValueError, match="batch"):
            job("tests.too_big", on=ORDER_SUBMITTED, batch=batch)
    assert "tests.too_big" not in JOBS
