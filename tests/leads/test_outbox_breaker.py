"""With a broker, no request publishes: the relay hands committed rows over, the patients'
confirmations first; a broker outage costs a request nothing and the relay retries once
per pause; a sent message is recorded before anything else can fail."""

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
    """A broker as the outbox sees it (tasks are no longer run in-process): ``down`` makes
    every publish fail the way a refused connection does; ``published`` lists the message
    ids handed over, in order, and ``priorities`` the priority each went with."""

    class Broker:
        down = False
        published: list[int] = []
        attempts = 0

        def apply_async(self, args, priority, **options):
            self.attempts += 1
            if self.down:
                raise OperationalError(
                    "Error 111 connecting to 127.0.0.1:6379. Connection refused."
                )
            self.published.append(args[0])
            self.priorities[args[0]] = priority

    in_process, current_app.conf.task_always_eager = current_app.conf.task_always_eager, False
    fake = Broker()
    fake.published, fake.priorities = [], {}
    monkeypatch.setattr(
        current_app.tasks[outbox.MESSAGE_SEND_TASK], "apply_async", fake.apply_async
    )
    yield fake
    current_app.conf.task_always_eager = in_process
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


def due_now(owed: Lead):
    return owed.messages.filter(due_at__lte=owed.created_at)


def test_a_request_never_publishes_the_relay_hands_its_rows_over_confirmation_first(
    post_lead, lead_payload, broker, doctor
):
    broker.down = True  # a request would pay for a dead broker if it published

    first = lead(post_lead, lead_payload, 1)
    second = lead(post_lead, lead_payload, 2)

    assert broker.attempts == 0
    for owed in (first, second):
        assert due_now(owed).count() == 2
        assert set(due_now(owed).values_list("enqueued_at", flat=True)) == {None}

    broker.down = False
    assert outbox.outbox_dispatch_due() == 4

    kinds = dict(OutboundMessage.objects.values_list("pk", "kind"))
    # The patients' confirmations go ahead of the notifications, at the top priority.
    assert [kinds[pk] for pk in broker.published] == [
        "patient_confirmation",
        "patient_confirmation",
        "provider_notification",
        "provider_notification",
    ]
    assert {kinds[pk]: priority for pk, priority in broker.priorities.items()} == {
        "patient_confirmation": 0,
        "provider_notification": 6,
    }
    assert not due_now(first).filter(enqueued_at__isnull=True).exists()
    assert outbox.outbox_dispatch_due() == 0  # handed over once


def test_the_relay_pauses_after_a_failed_publish_then_hands_over_the_whole_backlog(
    post_lead, lead_payload, broker, doctor, settings, caplog
):
    settings.OUTBOX_PUBLISH_PAUSE_SECONDS = 0.3
    for n in range(5):
        lead(post_lead, lead_payload, n)
    due = OutboundMessage.objects.claimable(now=timezone.now())
    owed = set(due.values_list("pk", flat=True))
    started = time.monotonic()

    def running() -> bool:
        # The broker is down for the relay's first 0.45 s, then answers.
        broker.down = time.monotonic() - started < 0.45
        return set(broker.published) != owed and time.monotonic() - started < 10

    outbox.outbox_relay(every=0.05, running=running)

    # A pass every 0.05 s, but while the broker was down one attempt per 0.3 s pause.
    assert 1 <= broker.attempts - len(broker.published) <= 2
    assert [r.message for r in caplog.records if "publish failed" in r.message] == [
        "outbox: publish failed for message "
        f"{OutboundMessage.objects.order_by('pk').first().pk} (OperationalError); "
        "retrying every 0.3 s"
    ]
    assert "outbox: the broker answers again; publishing resumed" in caplog.messages
    assert sorted(broker.published) == sorted(owed)  # each once
    assert not due.filter(enqueued_at__isnull=True).exists()


def test_the_sweep_works_through_the_backlog_in_batches(post_lead, lead_payload, broker, doctor):
    for n in range(5):
        lead(post_lead, lead_payload, n)

    assert outbox.outbox_dispatch_due(batch=3) == 10

    kinds = dict(OutboundMessage.objects.values_list("pk", "kind"))
    assert [kinds[pk] for pk in broker.published[:5]] == ["patient_confirmation"] * 5


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
    assert set(due_now(owed).values_list("status", flat=True)) == {Status.SENT}
