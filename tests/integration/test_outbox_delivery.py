"""The outbox on the real stack: PostgreSQL, Redis, Celery workers as processes, SMTP.

Each test proves one promise of the issue: nothing is lost while the broker is down,
nothing is lost or sent twice when a worker dies mid-send, and a rolled-back transaction
sends nothing.
"""

import json
import threading
import time
import urllib.request
from collections import Counter

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from leads.apis import LeadInputSerializer
from leads.emails import message_id_header
from leads.models import Lead, OutboundMessage, Subscriber
from leads.newsletter import newsletter_subscribe
from leads.services import lead_submit
from specialists.models import Board, Treatment
from tests.factories import make_specialist

from .conftest import free_port

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

Status = OutboundMessage.Status

LEAD = {
    "zip": "10001",
    "treatment": "spinal-cord-stimulation",
    "first_name": "Pat",
    "last_name": "Example",
    "email": "pat@example.com",
    "phone": "(212) 555-0142",
    "consent": True,
}


@pytest.fixture
def doctors():
    """Two specialists near ZIP 10001, so a lead owes two notifications and a confirmation."""
    Board.objects.get_or_create(
        code="ABOS", defaults={"name": "American Board of Orthopaedic Surgery"}
    )
    Treatment.objects.get_or_create(
        slug="spinal-cord-stimulation", defaults={"name": "Spinal cord stimulation", "summary": "-"}
    )
    return [
        make_specialist(latitude=40.75, longitude=-73.99, email="one@clinic.example"),
        make_specialist(latitude=40.76, longitude=-73.98, email="two@clinic.example"),
    ]


def due_now(lead: Lead) -> list[OutboundMessage]:
    return list(lead.messages.filter(due_at__lte=timezone.now()))


def wait_until_sent(messages: list[OutboundMessage], *, timeout: float) -> dict[int, str]:
    deadline = time.monotonic() + timeout
    ids = [m.pk for m in messages]
    while True:
        statuses = dict(OutboundMessage.objects.filter(pk__in=ids).values_list("pk", "status"))
        if (
            all(status == Status.SENT for status in statuses.values())
            or time.monotonic() > deadline
        ):
            return statuses
        time.sleep(0.2)


def assert_each_sent_exactly_once(sink, messages: list[OutboundMessage]) -> None:
    expected = {message_id_header(m): m.kind for m in messages}
    received = Counter(r.message_id for r in sink.received)
    assert {key: received[key] for key in expected} == dict.fromkeys(expected, 1)
    assert set(received) == set(expected), "the sink got email nobody owed"


def test_a_lead_posted_while_the_broker_is_down_is_sent_once_it_is_back(
    start_web, start_worker, sink, doctors
):
    dead_broker = f"redis://127.0.0.1:{free_port()}/15"
    web = start_web(CELERY_BROKER_URL=dead_broker)
    request = urllib.request.Request(
        f"{web.url}/api/v1/leads/",
        data=json.dumps(LEAD).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )

    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        body = json.load(response)
    answered_in = time.monotonic() - started

    lead = Lead.objects.get(pk=body["id"])
    owed = due_now(lead)
    assert len(body["matches"]) == 2
    assert len(owed) == 3  # two provider notifications and the patient's confirmation
    assert {m.status for m in owed} == {Status.PENDING}
    assert all(m.enqueued_at is None for m in owed)
    assert answered_in < 10
    log = web.log.read_text()
    assert "publish" not in log  # no request tries the broker: the relay does
    assert "pat@example.com" not in log and "Pat" not in log

    time.sleep(1)
    assert sink.received == []

    # The broker is back (the worker's broker is the real one): beat's sweep hands over.
    worker = start_worker()
    statuses = wait_until_sent(owed, timeout=20)

    assert set(statuses.values()) == {Status.SENT}, worker.output()
    assert_each_sent_exactly_once(sink, owed)
    assert sorted(r.rcpt_to[0] for r in sink.received) == [
        "one@clinic.example",
        "pat@example.com",
        "two@clinic.example",
    ]
    confirmation = next(r.message for r in sink.received if r.rcpt_to == ["pat@example.com"])
    assert confirmation.is_multipart()
    assert {part.get_content_type() for part in confirmation.walk()} >= {"text/plain", "text/html"}


def test_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(
    start_worker, sink, doctors
):
    sink.stall_data.set()
    first = start_worker()

    response = APIClient().post("/api/v1/leads/", LEAD, format="json")
    assert response.status_code == 201
    lead = Lead.objects.get(pk=response.json()["id"])
    owed = due_now(lead)

    assert sink.stalled.wait(15), first.output()
    [stuck] = OutboundMessage.objects.filter(lead=lead, status=Status.SENDING)
    first.kill()
    sink.stall_data.clear()
    sink.release.set()

    second = start_worker()
    statuses = wait_until_sent(owed, timeout=25)

    assert set(statuses.values()) == {Status.SENT}, second.output()
    assert_each_sent_exactly_once(sink, owed)
    stuck.refresh_from_db()
    # Taken over once the dead worker's lease ran out: its second attempt was the send.
    assert (stuck.status, stuck.attempts) == (Status.SENT, 2)


def test_a_rolled_back_transaction_sends_nothing(start_worker, sink, doctors):
    worker = start_worker()
    serializer = LeadInputSerializer(data=LEAD)
    assert serializer.is_valid(), serializer.errors

    with pytest.raises(RuntimeError), transaction.atomic():
        lead_submit(data=serializer.validated_data)
        raise RuntimeError("the request failed after the lead was written")
    # A committed subscription afterwards proves the worker was listening all along.
    newsletter_subscribe(email="reader@example.com")

    received = sink.wait_for(1, timeout=15)
    time.sleep(2)  # anything the rolled-back lead had queued would have arrived by now

    assert [r.rcpt_to for r in sink.received] == [["reader@example.com"]], worker.output()
    assert received
    assert Lead.objects.count() == 0
    assert OutboundMessage.objects.exclude(subscriber__in=Subscriber.objects.all()).count() == 0


def test_the_relay_hands_a_committed_lead_over_the_moment_it_commits(
    start_worker, start_relay, sink, doctors
):
    # Neither beat's sweep nor the relay's own polling would come round within the test:
    # only PostgreSQL's notification of the commit can wake the relay in time.
    start_worker(OUTBOX_SWEEP_SECONDS="3600")
    relay = start_relay(every=3600)

    started = time.monotonic()
    response = APIClient().post("/api/v1/leads/", LEAD, format="json")
    assert response.status_code == 201
    owed = due_now(Lead.objects.get(pk=response.json()["id"]))
    statuses = wait_until_sent(owed, timeout=20)

    assert set(statuses.values()) == {Status.SENT}, relay.output()
    assert_each_sent_exactly_once(sink, owed)
    assert time.monotonic() - started < 10


def test_two_relays_at_once_hand_each_message_over_once(real_stack, monkeypatch):
    from celery import current_app

    from leads import outbox

    for n in range(120):
        newsletter_subscribe(email=f"reader{n}@example.com")
    owed = set(OutboundMessage.objects.values_list("pk", flat=True))
    published = []

    def slow_publish(args, priority, **options):
        time.sleep(0.002)  # long enough for the two relays' passes to overlap
        published.extend(args[0])

    monkeypatch.setattr(current_app.tasks[outbox.MESSAGES_SEND_TASK], "apply_async", slow_publish)

    def relay():
        try:
            while outbox.outbox_dispatch_due(batch=10):
                pass
        finally:
            connection.close()

    relays = [threading.Thread(target=relay) for _ in range(2)]
    for thread in relays:
        thread.start()
    for thread in relays:
        thread.join(60)

    assert sorted(published) == sorted(owed)  # every message once, none twice
