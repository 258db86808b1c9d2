import datetime

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from leads import outbox
from leads.emails import message_id_header
from leads.models import EbookRequest, Lead, OutboundMessage, Subscriber
from leads.newsletter import newsletter_confirm
from leads.services import lead_status_set, lead_submit

from .conftest import specialist_at

pytestmark = pytest.mark.django_db

Kind = OutboundMessage.Kind
Status = OutboundMessage.Status


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that is down: every send fails the way a refused connection does."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("connection refused")


def test_patient_confirmation_has_text_and_html_parts_and_the_postal_address(
    post_lead, lead_payload, settings
):
    doctor = specialist_at(1, email="doc@clinic.example", first_name="Ana", last_name="Lopez")

    post_lead(lead_payload)

    confirmation = next(m for m in mail.outbox if m.to == ["pat@example.com"])
    html, mimetype = confirmation.alternatives[0]
    assert mimetype == "text/html"
    for part in (confirmation.body, html):
        assert "Ana Lopez, MD" in part
        assert settings.SENDER_POSTAL_ADDRESS in part
        assert f"/specialists/{doctor.slug}/" in part
    lead = Lead.objects.get()
    message = OutboundMessage.objects.get(kind=Kind.PATIENT_CONFIRMATION)
    assert confirmation.extra_headers["Message-ID"] == message_id_header(message)
    assert f"/thanks/{lead.id}/" in confirmation.body
    assert message.status == Status.SENT
    assert message.sent_at is not None
    assert message.attempts == 1


def test_provider_notification_carries_the_patients_details(post_lead, lead_payload, settings):
    settings.PROVIDER_EMAIL_INCLUDES_MESSAGE = True
    specialist_at(1, email="doc@clinic.example")

    post_lead(lead_payload)

    notification = next(m for m in mail.outbox if m.to == ["doc@clinic.example"])
    for part in (notification.body, notification.alternatives[0][0]):
        assert "Pat Example" in part
        assert "(212) 555-0142" in part
        assert "pat@example.com" in part
        assert "since my fusion" in part
    assert "10001" in notification.subject


def test_a_specialist_without_email_is_notified_through_the_network_inbox(
    post_lead, lead_payload, settings
):
    settings.NETWORK_INBOX_EMAIL = "team@network.example"
    doctor = specialist_at(1, email="")

    post_lead(lead_payload)

    forwarded = next(m for m in mail.outbox if m.to == ["team@network.example"])
    assert f"For {doctor.display_name}" in forwarded.body


def test_followups_are_due_later_and_sent_by_the_sweep(post_lead, lead_payload):
    post_lead(lead_payload)
    sent_at_once = len(mail.outbox)

    assert outbox.outbox_dispatch_due() == 0
    assert len(mail.outbox) == sent_at_once

    OutboundMessage.objects.filter(kind=Kind.PATIENT_FOLLOWUP_2D).update(
        due_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert outbox.outbox_dispatch_due() == 1

    assert len(mail.outbox) == sent_at_once + 1
    assert mail.outbox[-1].subject == "Has a specialist reached you yet?"
    assert OutboundMessage.objects.get(kind=Kind.PATIENT_FOLLOWUP_2D).status == Status.SENT
    assert OutboundMessage.objects.get(kind=Kind.PATIENT_FOLLOWUP_7D).status == Status.PENDING


def test_followups_are_cancelled_once_the_lead_is_contacted(post_lead, lead_payload):
    post_lead(lead_payload)
    lead = Lead.objects.get()

    lead_status_set(lead=lead, status=Lead.Status.CONTACTED)

    statuses = set(
        OutboundMessage.objects.filter(kind__in=OutboundMessage.FOLLOWUP_KINDS).values_list(
            "status", flat=True
        )
    )
    assert statuses == {Status.CANCELLED}
    assert Lead.objects.get().status_changed_at is not None


def test_a_followup_already_due_is_not_sent_to_a_lead_closed_meanwhile(post_lead, lead_payload):
    post_lead(lead_payload)
    sent = len(mail.outbox)
    # Closed behind the service's back (a bulk update): the sender re-checks.
    Lead.objects.update(status=Lead.Status.CLOSED)
    followup = OutboundMessage.objects.get(kind=Kind.PATIENT_FOLLOWUP_7D)
    OutboundMessage.objects.filter(pk=followup.pk).update(due_at=timezone.now())

    assert outbox.message_deliver(message_id=followup.pk).status == Status.CANCELLED
    assert len(mail.outbox) == sent


def test_a_message_is_sent_once_however_many_tasks_arrive(post_lead, lead_payload):
    post_lead(lead_payload)
    confirmation = OutboundMessage.objects.get(kind=Kind.PATIENT_CONFIRMATION)
    sent = len(mail.outbox)

    for _ in range(3):
        assert outbox.message_deliver(message_id=confirmation.pk).status == Status.SENT
    outbox.outbox_dispatch_due()

    assert len(mail.outbox) == sent
    assert OutboundMessage.objects.get(pk=confirmation.pk).attempts == 1


def test_a_message_whose_sender_died_is_taken_over_after_its_lease(
    api, lead_payload, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        api.post("/api/v1/leads/", lead_payload, format="json")
    confirmation = OutboundMessage.objects.get(kind=Kind.PATIENT_CONFIRMATION)
    # A worker claimed it and died: the lease is still running, nobody may take it.
    OutboundMessage.objects.filter(pk=confirmation.pk).update(
        status=Status.SENDING,
        attempts=1,
        claimed_until=timezone.now() + datetime.timedelta(minutes=1),
        enqueued_at=timezone.now(),
    )
    assert outbox.message_deliver(message_id=confirmation.pk).status == Status.SENDING
    assert mail.outbox == []

    OutboundMessage.objects.filter(pk=confirmation.pk).update(
        claimed_until=timezone.now() - datetime.timedelta(seconds=1),
        enqueued_at=timezone.now() - datetime.timedelta(hours=1),
    )
    assert outbox.outbox_dispatch_due() >= 1

    assert [m.to for m in mail.outbox].count(["pat@example.com"]) == 1
    confirmation.refresh_from_db()
    assert (confirmation.status, confirmation.attempts) == (Status.SENT, 2)


def test_a_failed_send_backs_off_then_dies_and_an_admin_can_retry_it(
    post_lead, lead_payload, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 3
    post_lead(lead_payload)
    confirmation = OutboundMessage.objects.get(kind=Kind.PATIENT_CONFIRMATION)
    assert confirmation.status == Status.PENDING
    assert confirmation.attempts == 1
    assert confirmation.last_error == "ConnectionRefusedError"
    assert confirmation.due_at > timezone.now() + datetime.timedelta(seconds=10)

    for attempt in (2, 3):
        OutboundMessage.objects.filter(pk=confirmation.pk).update(due_at=timezone.now())
        delivery = outbox.message_deliver(message_id=confirmation.pk)
        confirmation.refresh_from_db()
        assert confirmation.attempts == attempt
    assert delivery.retry_in is None
    assert confirmation.status == Status.DEAD
    assert "pat@example.com" not in confirmation.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_retry(message_ids=[confirmation.pk]) == 1
    confirmation.refresh_from_db()
    assert confirmation.status == Status.SENT
    assert [m.to for m in mail.outbox] == [["pat@example.com"]]


def test_retry_delays_grow_exponentially_with_jitter_and_a_cap(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    settings.OUTBOX_RETRY_MAX_SECONDS = 100

    delays = {attempts: outbox.retry_delay(attempts=attempts) for attempts in range(1, 8)}

    assert 5 <= delays[1] <= 10
    assert 20 <= delays[3] <= 40
    assert all(50 <= delays[n] <= 100 for n in (5, 6, 7))


def test_a_rolled_back_transaction_owes_and_sends_nothing(
    lead_payload, django_capture_on_commit_callbacks
):
    from leads.apis import LeadInputSerializer

    serializer = LeadInputSerializer(data=lead_payload)
    assert serializer.is_valid()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        lead_submit(data=serializer.validated_data)
        raise RuntimeError("something after the lead failed")

    assert callbacks == []
    assert Lead.objects.count() == 0
    assert OutboundMessage.objects.count() == 0
    assert mail.outbox == []


def test_a_broker_that_refuses_the_publish_leaves_the_rows_for_the_sweep(
    post_lead, lead_payload, monkeypatch, caplog
):
    from leads.tasks import messages_send

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(messages_send, "apply_async", broker_down)
    response = post_lead(lead_payload)

    assert response.status_code == 201
    assert mail.outbox == []
    pending = OutboundMessage.objects.filter(status=Status.PENDING, enqueued_at__isnull=True)
    assert pending.filter(kind=Kind.PATIENT_CONFIRMATION).exists()
    assert "pat@example.com" not in caplog.text
    assert "Pat" not in caplog.text

    monkeypatch.undo()
    assert outbox.outbox_dispatch_due() >= 1
    assert ["pat@example.com"] in [m.to for m in mail.outbox]


def test_the_dispatch_command_sends_what_is_due(post_lead, lead_payload):
    from io import StringIO

    from django.core.management import call_command

    post_lead(lead_payload)
    OutboundMessage.objects.filter(kind=Kind.PATIENT_FOLLOWUP_2D).update(due_at=timezone.now())
    out = StringIO()

    call_command("outbox_dispatch", stdout=out)

    assert out.getvalue().strip() == "1 message(s) handed over"
    assert mail.outbox[-1].subject == "Has a specialist reached you yet?"


def test_idempotency_keys_name_the_subject_kind_and_recipient(
    post_lead, lead_payload, api, django_capture_on_commit_callbacks
):
    """The keys are stored: a changed format would owe every message again."""
    specialist = specialist_at(2)
    post_lead(lead_payload)
    lead = Lead.objects.get()
    lead_payload["email"] = "nobody-near@example.com"
    lead_payload["zip"] = "99950"
    post_lead(lead_payload)
    lonely = Lead.objects.exclude(pk=lead.pk).get()
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/newsletter/", {"email": "reader@example.com"}, format="json")
        api.post("/api/v1/ebook/", {"email": "e@example.com", "first_name": "E"}, format="json")
    subscriber = Subscriber.objects.get()
    newsletter_confirm(subscriber=subscriber)
    ebook_request = EbookRequest.objects.get()

    keys = set(OutboundMessage.objects.values_list("idempotency_key", flat=True))

    today = timezone.localdate().isoformat()
    assert keys == {
        f"lead:{lead.pk}:patient_confirmation",
        f"lead:{lead.pk}:provider_notification:specialist:{specialist.pk}",
        f"lead:{lead.pk}:patient_followup_2d",
        f"lead:{lead.pk}:patient_followup_7d",
        f"lead:{lonely.pk}:patient_confirmation",
        f"lead:{lonely.pk}:network_alert",
        f"lead:{lonely.pk}:patient_followup_2d",
        f"lead:{lonely.pk}:patient_followup_7d",
        f"subscriber:{subscriber.pk}:newsletter_confirmation:{today}",
        f"subscriber:{subscriber.pk}:newsletter_welcome",
        f"ebook_request:{ebook_request.pk}:ebook_link",
    }

