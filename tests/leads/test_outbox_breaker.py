"""A broker outage costs one request per pause, not every request; the sweep brings the
whole backlog back at once; a sent message is recorded before anything else can fail."""

import time

import pytest
from celery import current_app
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone
from kombu.exceptions import OperationalError

from leads import outbox
from leads.models import Lead, OutboundMessage

from .conftest import specialist_at

pytestmark = pytest.mark.django_db

Status = OutboundMessage.Status


@pytest.fixture
def broker(monkeypatch):
    """The broker as the outbox sees it: ``down`` makes every publish fail the way a
    refused connection does; ``published`` lists the message ids handed over, in order,
    and ``priorities`` the priority each went with."""

    class Broker:
        down = False
        published: list[int] = []
        attempts = 0

        def apply_async(self, args, priority):
            self.attempts += 1
            if self.down:
                raise OperationalError(
                    "Error 111 connecting to 127.0.0.1:6379. Connection refused."
                )
            self.published.append(args[0])
            self.priorities[args[0]] = priority

    fake = Broker()
    fake.published, fake.priorities = [], {}
    monkeypatch.setattr(
        current_app.tasks[outbox.MESSAGE_SEND_TASK], "apply_async", fake.apply_async
    )
    yield fake
    outbox.broker_breaker.succeeded()


@pytest.fixture
def doctor():
    return specialist_at(1, email="doc@clinic.example")


def lead(post_lead, lead_payload, n: int) -> Lead:
    """A patient of their own (address, phone), so no per-person limit holds the lead."""
    patient = {"email": f"patient{n}@example.com", "phone": f"(212) 555-01{n:02d}"}
    response = post_lead({**lead_payload, **patient})
    assert response.status_code == 201
    return Lead.objects.get(pk=response.json()["id"])


def test_after_a_failed_publish_the_process_leaves_new_rows_to_the_sweep_for_a_while(
    post_lead, lead_payload, broker, doctor, settings, caplog
):
    settings.OUTBOX_PUBLISH_PAUSE_SECONDS = 0.5
    broker.down = True

    first = lead(post_lead, lead_payload, 1)
    second = lead(post_lead, lead_payload, 2)

    assert broker.attempts == 1  # only the first request tried the broker
    for owed in (first, second):
        due = owed.messages.filter(due_at__lte=owed.created_at)
        assert due.count() == 2
        assert set(due.values_list("enqueued_at", flat=True)) == {None}  # for the sweep
    assert [r.message for r in caplog.records if "publish failed" in r.message] == [
        "outbox: publish failed for message "
        f"{first.messages.order_by('pk').first().pk} (OperationalError); "
        "not publishing for 0.5 s, the sweep will retry"
    ]

    time.sleep(0.6)
    broker.down = False
    third = lead(post_lead, lead_payload, 3)

    assert sorted(broker.published) == sorted(
        third.messages.filter(due_at__lte=third.created_at).values_list("pk", flat=True)
    )
    # The patient's confirmation goes ahead of any backlog of notifications.
    assert {
        kind: broker.priorities[pk]
        for pk, kind in third.messages.filter(pk__in=broker.published).values_list("pk", "kind")
    } == {"patient_confirmation": 0, "provider_notification": 6}
    assert "outbox: the broker answers again; publishing resumed" in caplog.messages


def test_the_sweep_hands_over_the_whole_backlog_even_while_the_breaker_is_open(
    post_lead, lead_payload, broker, doctor
):
    broker.down = True
    for n in range(5):
        lead(post_lead, lead_payload, n)
    due = OutboundMessage.objects.claimable(now=timezone.now())
    backlog = set(due.filter(enqueued_at__isnull=True).values_list("pk", flat=True))
    assert len(backlog) == 10 and not outbox.broker_breaker.allows

    broker.down = False
    assert outbox.outbox_dispatch_due(batch=3) == 10

    assert set(broker.published) == backlog
    kinds = dict(OutboundMessage.objects.values_list("pk", "kind"))
    # The patients' confirmations go first: the broker's queue is first in, first out.
    assert [kinds[pk] for pk in broker.published[:5]] == ["patient_confirmation"] * 5
    assert outbox.broker_breaker.allows
    assert not due.filter(enqueued_at__isnull=True).exists()


class WitnessBackend(EmailBackend):
    """Records the row's status at the moment the sender says goodbye to the server."""

    status_at_close: list[str] = []

    def close(self):
        WitnessBackend.status_at_close.extend(
            OutboundMessage.objects.filter(status=Status.SENDING).values_list("status", flat=True)
        )
        WitnessBackend.status_at_close.append("closed")


def test_a_sent_message_is_recorded_before_the_smtp_goodbye(
    post_lead, lead_payload, doctor, settings
):
    settings.EMAIL_BACKEND = "tests.leads.test_outbox_breaker.WitnessBackend"
    WitnessBackend.status_at_close = []

    owed = lead(post_lead, lead_payload, 1)

    assert len(mail.outbox) == 2
    assert WitnessBackend.status_at_close == ["closed", "closed"]  # nothing still "sending"
    assert set(
        owed.messages.filter(due_at__lte=owed.created_at).values_list("status", flat=True)
    ) == {Status.SENT}
