"""Writes for leads, newsletter subscriptions, e-book requests and the email outbox.

Every email the system owes is an OutboundMessage row written in the same transaction as
the lead or subscription that owes it; after the commit each row due now is handed to the
broker. If the broker is down the rows stay pending and the periodic sweep
(``outbox_dispatch_due``) hands them over later, so nothing is lost. Sending claims the row
atomically, so a message is sent at most once per idempotency key however many tasks for it
the broker delivers.
"""

import datetime
import hashlib
import logging
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from geo.gazetteer import zip_place
from matcher.query import MatchQuery
from matcher.selectors import specialist_nearest_ids
from specialists.models import Specialist, Treatment

from .consent import CONSENT_TEXT, CONSENT_VERSION
from .models import EbookRequest, Lead, LeadMatch, OutboundMessage, Subscriber
from .selectors import lead_recent_duplicate

logger = logging.getLogger(__name__)

ROUTING_RADIUS_MILES = 50
ROUTING_LIMIT = 3
DEDUPE_WINDOW = datetime.timedelta(hours=24)
FOLLOWUPS = (
    (OutboundMessage.Kind.PATIENT_FOLLOWUP_2D, datetime.timedelta(days=2)),
    (OutboundMessage.Kind.PATIENT_FOLLOWUP_7D, datetime.timedelta(days=7)),
)
FOLLOWUP_KINDS = tuple(kind for kind, _ in FOLLOWUPS)
HONEYPOT_FIELD = "website"

Kind = OutboundMessage.Kind
Status = OutboundMessage.Status


# --- Leads ------------------------------------------------------------------------------


@dataclass
class LeadSubmission:
    """What ``lead_submit`` did: the stored lead (the earlier one for a duplicate), whether
    it was created now, and its matches nearest first (specialists loaded)."""

    lead: Lead
    created: bool
    matches: list[LeadMatch] = field(default_factory=list)


def honeypot_filled(data: object) -> bool:
    """True when a submitted form or JSON body filled the hidden ``website`` field.

    Callers check this BEFORE validating and answer such a post exactly like a success
    without calling ``lead_submit`` (the API answers 201 with a made-up id; a page
    redirects to the generic ``lead-received`` page), so a bot learns nothing.
    """
    if not isinstance(data, Mapping):
        return False
    value = data.get(HONEYPOT_FIELD)
    return bool(value.strip() if isinstance(value, str) else value)


def lead_dedupe_key(*, email: str, phone: str, zip: str, treatment: Treatment | None) -> str:
    raw = "|".join((email.strip().lower(), phone, zip, treatment.slug if treatment else ""))
    return hashlib.sha256(raw.encode()).hexdigest()


def lead_submit(*, data: dict, client_ip: str | None = None) -> LeadSubmission:
    """Store a lead from ``LeadInputSerializer.validated_data``, route it and owe its emails.

    - Routes to up to 3 nearest qualifying specialists within 50 miles (the matcher's own
      search, ``specialist_nearest_ids``), stored as LeadMatch rows ranked 1..3. No match:
      the lead is flagged ``needs_network_attention`` and the network inbox is told.
    - The same email, phone, ZIP and treatment within 24 hours returns the earlier lead
      with ``created=False`` and owes nothing new.
    - Owes, in the same transaction: one notification per matched specialist, a patient
      confirmation, and follow-ups due at +2 and +7 days. Messages due now are handed to
      Celery after the commit; a broker failure is logged and left to the sweep.
    - ``client_ip`` is kept with the consent as evidence of where it came from.
    The honeypot is the caller's job (see ``honeypot_filled``).
    """
    place = zip_place(data["zip"])
    treatment = data.get("treatment")
    key = lead_dedupe_key(
        email=data["email"], phone=data["phone"], zip=place.zip, treatment=treatment
    )
    found = specialist_nearest_ids(
        MatchQuery(
            origin=place,
            treatment=treatment,
            radius=ROUTING_RADIUS_MILES,
            unit="mi",
            limit=ROUTING_LIMIT,
        )
    )
    # Only what the answer shows (name, URL): the emails load the rest when they are sent.
    specialists = Specialist.objects.only(
        "id", "slug", "first_name", "last_name", "credentials"
    ).in_bulk([specialist_id for specialist_id, _ in found])
    now = timezone.now()
    with transaction.atomic():
        _lock_dedupe_key(key)
        earlier = lead_recent_duplicate(dedupe_key=key, since=now - DEDUPE_WINDOW)
        if earlier is not None:
            return LeadSubmission(lead=earlier, created=False, matches=list(earlier.matches.all()))
        lead = Lead.objects.create(
            zip=place.zip,
            state=place.state,
            city=place.city,
            treatment=treatment,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data["phone"],
            message=data.get("message", ""),
            consent=True,
            consent_text=CONSENT_TEXT,
            consent_version=CONSENT_VERSION,
            consented_at=now,
            consent_ip=client_ip,
            utm_source=data.get("utm_source", ""),
            utm_medium=data.get("utm_medium", ""),
            utm_campaign=data.get("utm_campaign", ""),
            utm_term=data.get("utm_term", ""),
            utm_content=data.get("utm_content", ""),
            referrer=data.get("referrer", ""),
            needs_network_attention=not specialists,
            dedupe_key=key,
            created_at=now,
        )
        matches = LeadMatch.objects.bulk_create(
            LeadMatch(
                lead=lead, specialist=specialists[specialist_id], rank=rank, distance=distance
            )
            for rank, (specialist_id, distance) in enumerate(
                (pair for pair in found if pair[0] in specialists), start=1
            )
        )
        _outbox_add(_lead_messages(lead=lead, matches=matches, now=now))
    return LeadSubmission(lead=lead, created=True, matches=matches)


def _lock_dedupe_key(key: str) -> None:
    """Serialize concurrent submissions of the same lead so only one is stored.

    PostgreSQL gets a transaction-scoped advisory lock on the key; SQLite transactions are
    already serialized (the settings open them IMMEDIATE).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(key[:15], 16)])


def _lead_messages(*, lead: Lead, matches: list[LeadMatch], now) -> list[OutboundMessage]:
    """The emails a new lead owes, in the order they are handed to the broker: the patient
    hears first, then each matched office (or the network team when nobody matched)."""
    subject = f"lead:{lead.id}"
    messages = [
        OutboundMessage(
            kind=Kind.PATIENT_CONFIRMATION,
            idempotency_key=f"{subject}:{Kind.PATIENT_CONFIRMATION}",
            lead=lead,
            due_at=now,
        )
    ]
    messages.extend(
        OutboundMessage(
            kind=Kind.PROVIDER_NOTIFICATION,
            idempotency_key=(
                f"{subject}:{Kind.PROVIDER_NOTIFICATION}:specialist:{match.specialist_id}"
            ),
            lead=lead,
            specialist_id=match.specialist_id,
            due_at=now,
        )
        for match in matches
    )
    if not matches:
        messages.append(
            OutboundMessage(
                kind=Kind.NETWORK_ALERT,
                idempotency_key=f"{subject}:{Kind.NETWORK_ALERT}",
                lead=lead,
                due_at=now,
            )
        )
    messages.extend(
        OutboundMessage(
            kind=kind, idempotency_key=f"{subject}:{kind}", lead=lead, due_at=now + delay
        )
        for kind, delay in FOLLOWUPS
    )
    return messages


def lead_status_set(*, lead: Lead, status: str) -> Lead:
    """Move a lead to ``status``; once someone reached the patient, pending follow-ups are
    cancelled (the sender re-checks too, in case one is already in flight)."""
    if lead.status != status:
        lead.status = status
        lead.status_changed_at = timezone.now()
        lead.save(update_fields=["status", "status_changed_at", "updated_at"])
    if not lead.awaits_contact:
        OutboundMessage.objects.filter(
            lead=lead, kind__in=FOLLOWUP_KINDS, status=Status.PENDING
        ).update(status=Status.CANCELLED, updated_at=timezone.now())
    return lead


# --- Newsletter and e-book -------------------------------------------------------------


def newsletter_subscribe(*, email: str) -> None:
    """Start (or restart) double opt-in for ``email``; callers answer the same whatever
    the address's state, so nobody can learn who subscribed.

    A confirmation is owed at most once per address per day; a confirmed address is left
    alone.
    """
    email = email.strip().lower()
    now = timezone.now()
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.select_for_update().get_or_create(email=email)
        if subscriber.status == Subscriber.Status.CONFIRMED:
            return
        subscriber.status = Subscriber.Status.PENDING
        subscriber.requested_at = now
        subscriber.save(update_fields=["status", "requested_at", "updated_at"])
        _outbox_add_once(
            OutboundMessage(
                kind=Kind.NEWSLETTER_CONFIRMATION,
                idempotency_key=(
                    f"subscriber:{subscriber.pk}:{Kind.NEWSLETTER_CONFIRMATION}:"
                    f"{timezone.localdate(now).isoformat()}"
                ),
                subscriber=subscriber,
                due_at=now,
            )
        )


def newsletter_confirm(*, subscriber: Subscriber) -> Subscriber:
    """Confirm the address; the welcome email is owed once per address ever, so repeat
    clicks, or a resubscription after unsubscribing, do not send it again."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status == Subscriber.Status.CONFIRMED:
            return subscriber
        subscriber.status = Subscriber.Status.CONFIRMED
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["status", "confirmed_at", "updated_at"])
        _outbox_add_once(
            OutboundMessage(
                kind=Kind.NEWSLETTER_WELCOME,
                idempotency_key=f"subscriber:{subscriber.pk}:{Kind.NEWSLETTER_WELCOME}",
                subscriber=subscriber,
            )
        )
    return subscriber


def newsletter_unsubscribe(*, subscriber: Subscriber) -> Subscriber:
    """Unsubscribe at once and cancel any newsletter email not yet sent."""
    with transaction.atomic():
        now = timezone.now()
        if subscriber.status != Subscriber.Status.UNSUBSCRIBED:
            subscriber.status = Subscriber.Status.UNSUBSCRIBED
            subscriber.unsubscribed_at = now
            subscriber.save(update_fields=["status", "unsubscribed_at", "updated_at"])
        subscriber.messages.filter(status=Status.PENDING).update(
            status=Status.CANCELLED, updated_at=now
        )
    return subscriber


def ebook_request(*, email: str, first_name: str) -> None:
    """Owe ``email`` the e-book download link; repeats on the same day send nothing more."""
    email = email.strip().lower()
    with transaction.atomic():
        requested, created = EbookRequest.objects.get_or_create(
            email=email,
            requested_on=timezone.localdate(),
            defaults={"first_name": first_name},
        )
        if created:
            _outbox_add(
                [
                    OutboundMessage(
                        kind=Kind.EBOOK_LINK,
                        idempotency_key=f"ebook_request:{requested.pk}:{Kind.EBOOK_LINK}",
                        ebook_request=requested,
                    )
                ]
            )


def ebook_downloaded(*, ebook_request: EbookRequest) -> None:
    """Count a download of the e-book (marketing sees which links were used)."""
    EbookRequest.objects.filter(pk=ebook_request.pk).update(
        downloads=F("downloads") + 1, last_downloaded_at=timezone.now()
    )


# --- The outbox ------------------------------------------------------------------------


def _outbox_add(messages: list[OutboundMessage]) -> None:
    """Insert owed messages (inside the caller's transaction) and hand the ones due now to
    Celery once that transaction commits. A rollback therefore owes and sends nothing.

    Rows due now are written as already handed over, which saves an UPDATE per lead;
    ``outbox_publish`` clears the mark on any it fails to hand over, and should the process
    die between commit and publish, the sweep takes them once the mark is old.
    """
    now = timezone.now()
    for message in messages:
        message.max_attempts = settings.OUTBOX_MAX_ATTEMPTS
        if message.due_at <= now:
            message.enqueued_at = now
    created = OutboundMessage.objects.bulk_create(messages)
    due_ids = [message.pk for message in created if message.enqueued_at is not None]
    if due_ids:
        transaction.on_commit(partial(outbox_publish, message_ids=due_ids))


def _outbox_add_once(message: OutboundMessage) -> None:
    """Owe ``message`` unless its idempotency key is already owed. Callers hold a lock on
    the subject's row, so two requests cannot both find the key free."""
    if not OutboundMessage.objects.filter(idempotency_key=message.idempotency_key).exists():
        _outbox_add([message])


def outbox_publish(*, message_ids: list[int]) -> int:
    """Hand messages already marked ``enqueued_at`` to the broker; returns how many went.

    Stops at the first publish failure (the broker is down: every further attempt would
    wait for the same timeout), logs it without any personal data, and clears the mark on
    the rest so the next sweep retries them.
    """
    from .tasks import message_send

    published = 0
    for message_id in message_ids:
        try:
            message_send.apply_async(args=[message_id])
        except Exception as error:  # any broker/transport failure; the sweep retries
            logger.warning(
                "outbox: publish failed for message %s (%s); the sweep will retry",
                message_id,
                type(error).__name__,
            )
            break
        published += 1
    if published < len(message_ids):
        OutboundMessage.objects.filter(
            pk__in=message_ids[published:], status=Status.PENDING
        ).update(enqueued_at=None)
    return published


def outbox_dispatch_due(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """The periodic sweep: hand the broker every message that is due and either was never
    handed over (a broker outage), was handed over long ago without being sent (the task
    was lost), or whose sending worker's lease expired (it died mid-send).

    Safe to run anywhere, any number of times: the claim in ``message_deliver`` makes
    duplicate tasks harmless. Returns how many were handed over.
    """
    now = now or timezone.now()
    requeue_before = now - datetime.timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER_SECONDS)
    never_or_long_ago = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=requeue_before)
    ids = list(
        OutboundMessage.objects.claimable(now=now)
        .filter(never_or_long_ago)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    # Stale rows are marked too, so the next sweep does not hand them over again at once.
    OutboundMessage.objects.filter(pk__in=ids).update(enqueued_at=now)
    return outbox_publish(message_ids=ids)


def outbox_retry(*, message_ids: Iterable[int]) -> int:
    """Give dead (or cancelled) messages a fresh set of attempts, due now."""
    with transaction.atomic():
        ids = list(
            OutboundMessage.objects.filter(
                pk__in=list(message_ids), status__in=[Status.DEAD, Status.CANCELLED]
            ).values_list("pk", flat=True)
        )
        OutboundMessage.objects.filter(pk__in=ids).update(
            status=Status.PENDING,
            attempts=0,
            due_at=timezone.now(),
            claimed_until=None,
            enqueued_at=timezone.now(),
            last_error="",
            updated_at=timezone.now(),
        )
        if ids:
            transaction.on_commit(partial(outbox_publish, message_ids=ids))
    return len(ids)


@dataclass(frozen=True)
class Delivery:
    """How one send attempt ended. ``retry_in`` (seconds) is set when the message is pending
    again after a failure; the task retries after exactly that delay."""

    status: str
    retry_in: float | None = None


def message_deliver(*, message_id: int) -> Delivery:
    """Claim, build and send one message; record the outcome on its row.

    The claim is one UPDATE that only succeeds for a pending, due row or one whose sender's
    lease has expired, so two workers never send the same row at the same time and a sent,
    cancelled or dead row is never sent again. A failed attempt puts the row back to
    pending with an exponential, jittered delay; after ``max_attempts`` it is dead.
    """
    from .emails import MessageNotDeliverable, message_email

    now = timezone.now()
    lease = datetime.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    claimed = (
        OutboundMessage.objects.claimable(now=now)
        .filter(pk=message_id)
        .update(
            status=Status.SENDING,
            claimed_until=now + lease,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
        == 1
    )
    if not claimed:
        status = (
            OutboundMessage.objects.filter(pk=message_id).values_list("status", flat=True).first()
        )
        return Delivery(status=status or "missing")
    message = OutboundMessage.objects.select_related(
        "lead", "lead__treatment", "subscriber", "ebook_request", "specialist__institute"
    ).get(pk=message_id)

    if _no_longer_wanted(message):
        _finish(message, status=Status.CANCELLED)
        return Delivery(status=Status.CANCELLED)
    try:
        email = message_email(message)
        email.send()
    except MessageNotDeliverable as error:
        _finish(message, status=Status.DEAD, error=str(error))
        logger.error(
            "outbox: message %s (%s) is undeliverable: %s", message.pk, message.kind, error
        )
        return Delivery(status=Status.DEAD)
    except Exception as error:  # SMTP, network or template failure: counted, retried, capped
        return _failed(message, error)
    _finish(message, status=Status.SENT, sent_at=timezone.now())
    logger.info("outbox: sent message %s (%s)", message.pk, message.kind)
    return Delivery(status=Status.SENT)


def _no_longer_wanted(message: OutboundMessage) -> bool:
    if message.kind in FOLLOWUP_KINDS:
        return not message.lead.awaits_contact
    if message.subscriber_id is not None:
        if message.subscriber.status == Subscriber.Status.UNSUBSCRIBED:
            return True
        return (
            message.kind == Kind.NEWSLETTER_CONFIRMATION
            and message.subscriber.status == Subscriber.Status.CONFIRMED
        )
    return False


def _finish(message: OutboundMessage, *, status: str, error: str = "", sent_at=None) -> None:
    OutboundMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=status,
        claimed_until=None,
        sent_at=sent_at,
        last_error=error[:200],
        updated_at=timezone.now(),
    )


def _failed(message: OutboundMessage, error: Exception) -> Delivery:
    # The exception's class only: SMTP replies and messages can echo addresses back.
    reason = type(error).__name__
    if message.attempts >= message.max_attempts:
        _finish(message, status=Status.DEAD, error=f"{reason} (gave up after {message.attempts})")
        logger.error(
            "outbox: message %s (%s) is dead after %s attempts: %s",
            message.pk,
            message.kind,
            message.attempts,
            reason,
        )
        return Delivery(status=Status.DEAD)
    delay = retry_delay(attempts=message.attempts)
    due_at = timezone.now() + datetime.timedelta(seconds=delay)
    # The task's own retry is the hand-over; the sweep steps in only if that retry is lost.
    OutboundMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.PENDING,
        claimed_until=None,
        due_at=due_at,
        enqueued_at=due_at,
        last_error=reason,
        updated_at=timezone.now(),
    )
    logger.warning(
        "outbox: message %s (%s) attempt %s failed (%s); retry in %.0f s",
        message.pk,
        message.kind,
        message.attempts,
        reason,
        delay,
    )
    return Delivery(status=Status.PENDING, retry_in=delay)


def retry_delay(*, attempts: int) -> float:
    """Exponential backoff with jitter: between half and all of base * 2**(attempts-1),
    capped, so failed messages from one outage do not all come back at the same moment."""
    ceiling = min(
        settings.OUTBOX_RETRY_MAX_SECONDS,
        settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    return max(1.0, random.uniform(ceiling / 2, ceiling))


EBOOK_FILE = Path(__file__).resolve().parent / "ebook" / "life-after-back-surgery.html"
