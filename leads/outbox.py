"""The email outbox: owing messages, handing them to the broker, sending each at most once.

Every email the system owes is an OutboundMessage row written in the same transaction as
the lead or subscription that owes it; after the commit each row due now is handed to the
broker. If the broker is down the rows stay pending and the periodic sweep
(``outbox_dispatch_due``) hands them over later, so nothing is lost. Sending claims the row
atomically, so a message is sent at most once per idempotency key however many tasks for it
the broker delivers.

The engine knows the send task only by name (``MESSAGE_SEND_TASK``, looked up in Celery's
registry): ``tasks`` builds on this module, never the reverse.
"""

import datetime
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .emails import MessageNotDeliverable, message_email
from .models import DirectoryDigest, EbookRequest, Lead, OutboundMessage, Subscriber

logger = logging.getLogger(__name__)

MESSAGE_SEND_TASK = "leads.tasks.message_send"

Kind = OutboundMessage.Kind
Status = OutboundMessage.Status


def outbox_message(
    *,
    kind: str,
    lead: Lead | None = None,
    subscriber: Subscriber | None = None,
    ebook_request: EbookRequest | None = None,
    directory_digest: DirectoryDigest | None = None,
    specialist_id: int | None = None,
    due_at: datetime.datetime | None = None,
    key_suffix: str = "",
) -> OutboundMessage:
    """An unsaved message of ``kind`` about one subject (a lead, a subscriber, an e-book
    request or a week's directory digest), due at ``due_at`` (default now), for ``outbox_add``.

    Its idempotency key is ``<subject>:<pk>:<kind>``, then ``:specialist:<id>`` for a
    provider notification, then ``:<key_suffix>`` when given (a message owed once per day
    passes the day). The keys are stored, so this format must never change.
    """
    subjects = {
        "lead": lead,
        "subscriber": subscriber,
        "ebook_request": ebook_request,
        "directory_digest": directory_digest,
    }
    [(name, subject)] = [(name, row) for name, row in subjects.items() if row is not None]
    key = f"{name}:{subject.pk}:{kind}"
    if specialist_id is not None:
        key += f":specialist:{specialist_id}"
    if key_suffix:
        key += f":{key_suffix}"
    return OutboundMessage(
        kind=kind,
        idempotency_key=key,
        specialist_id=specialist_id,
        due_at=due_at or timezone.now(),
        **subjects,
    )


def outbox_add(messages: list[OutboundMessage]) -> None:
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


def outbox_add_once(message: OutboundMessage) -> None:
    """Owe ``message`` unless its idempotency key is already owed. Callers hold a lock on
    the subject's row, so two requests cannot both find the key free."""
    if not OutboundMessage.objects.filter(idempotency_key=message.idempotency_key).exists():
        outbox_add([message])


def outbox_publish(*, message_ids: list[int]) -> int:
    """Hand messages already marked ``enqueued_at`` to the broker; returns how many went.

    Stops at the first publish failure (the broker is down: every further attempt would
    wait for the same timeout), logs it without any personal data, and clears the mark on
    the rest so the next sweep retries them. With ``CELERY_TASK_ALWAYS_EAGER`` the task
    runs here, in-process.
    """
    # Outside the try: a task missing from the registry is a wiring fault (LeadsConfig.ready
    # imports the tasks), not a broker outage to be retried.
    message_send = current_app.tasks[MESSAGE_SEND_TASK]
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
        "lead",
        "lead__treatment",
        "subscriber",
        "ebook_request",
        "directory_digest",
        "specialist__institute",
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
    """Re-checked at send time: the subject may have changed after the message was owed, by
    a path that cancelled nothing (a bulk update) or while this message was in flight."""
    if message.kind in OutboundMessage.FOLLOWUP_KINDS:
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
