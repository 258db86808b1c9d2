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
    ids handed over, in order, ``tasks`` the ids each task carried, and ``priorities`` the
    priority each message went with."""

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
            [message_ids] = args
            self.tasks.append(message_ids)
            self.published.extend(message_ids)
            self.priorities.update(dict.fromkeys(message_ids, priority))

    in_process, current_app.conf.task_always_eager = current_app.conf.task_always_eager, False
    fake = Broker()
    fake.published, fake.tasks, fake.priorities = [], [], {}
    monkeypatch.setattr(
        current_app.tasks[outbox.MESSAGES_SEND_TASK], "apply_async", fake.apply_async
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
    # A task for each confirmation, one for both notifications.
    assert broker.tasks == [broker.published[:1], broker.published[1:2], broker.published[2:]]
    assert not due_now(first).filter(enqueued_at__isnull=True).exists()
    assert outbox.outbox_dispatch_due() == 0  # handed over once


def test_the_relay_hands_messages_over_a_few_to_a_task(post_lead, lead_payload, broker, doctor):
    for n in range(10):
        lead(post_lead, lead_payload, n)

    assert outbox.outbox_dispatch_due() == 20

    kinds = dict(OutboundMessage.objects.values_list("pk", "kind"))
    assert [len(ids) for ids in broker.tasks] == [1] * 10 + [8, 2]
    assert [{kinds[pk] for pk in ids} for ids in broker.tasks] == [
        *[{"patient_confirmation"}] * 10,
        {"provider_notification"},
        {"provider_notification"},
    ]


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
    assert 1 <= broker.attempts - len(broker.tasks) <= 2
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


class RefusingBackend(EmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


@pytest.fixture
def retries(monkeypatch):
    """What a worker hands back to the broker for one message's retry: ``(message id,
    countdown, priority)``; ``down`` makes that publish fail."""

    class Retries(list):
        down = False

        def apply_async(self, args, countdown, priority, **options):
            if self.down:
                raise OperationalError("Error 111 connecting to 127.0.0.1:6379.")
            self.append((args[0], countdown, priority))

    fake = Retries()
    monkeypatch.setattr(
        current_app.tasks[outbox.MESSAGE_SEND_TASK], "apply_async", fake.apply_async
    )
    return fake


def test_a_message_that_fails_in_a_handed_over_task_is_retried_on_its_own_when_due(
    post_lead, lead_payload, broker, retries, doctor, settings
):
    from leads.tasks import messages_send

    for n in (1, 2):
        lead(post_lead, lead_payload, n)
    outbox.outbox_dispatch_due()
    *confirmations, notifications = broker.tasks
    confirmations = [message_id for [message_id] in confirmations]
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"

    for message_id in confirmations:
        assert messages_send.run([message_id]) == [Status.PENDING]

    rows = OutboundMessage.objects.in_bulk(confirmations)
    assert [message_id for message_id, _, _ in retries] == confirmations
    for message_id, countdown, priority in retries:
        row = rows[message_id]
        assert (row.attempts, row.last_error, priority) == (1, "ConnectionRefusedError", 0)
        # Tried again exactly when its row falls due, not before.
        assert abs((row.due_at - timezone.now()).total_seconds() - countdown) < 2

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert messages_send.run(notifications) == [Status.SENT, Status.SENT]
    assert messages_send.run(notifications) == [Status.SENT, Status.SENT]  # redelivered: no-op
    assert len(mail.outbox) == 2


def test_a_retry_the_broker_refuses_is_left_to_the_sweep_once_due(
    post_lead, lead_payload, broker, retries, doctor, settings
):
    from leads.tasks import messages_send

    lead(post_lead, lead_payload, 1)
    outbox.outbox_dispatch_due()
    confirmation, _ = broker.tasks
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    retries.down = True

    assert messages_send.run(confirmation) == [Status.PENDING]

    row = OutboundMessage.objects.get(pk=confirmation[0])
    assert row.enqueued_at is None and row.due_at > timezone.now()
    broker.tasks.clear()
    assert outbox.outbox_dispatch_due() == 0  # not before it is due
    OutboundMessage.objects.filter(pk=row.pk).update(due_at=timezone.now())
    assert outbox.outbox_dispatch_due() == 1
    assert broker.tasks == [confirmation]
