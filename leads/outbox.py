"""The email outbox: owing messages, handing them to the broker, sending each at most once.

Every email the system owes is an OutboundMessage row written in the same transaction as
the lead or subscription that owes it. A relay (``manage.py outbox_dispatch --every``, the
Procfile's ``relay``) hands committed rows to the broker: PostgreSQL wakes it the moment a
transaction that owes messages commits (the ``leads_outbox`` notification, sent by a
trigger on the table), so no web request waits on the broker or pays for publishing. The
periodic sweep (``outbox_dispatch_due`` from Celery beat) does the same every few seconds
and takes over anything a lost task or a dead worker left behind, so nothing is lost
whatever is down. Sending claims the row atomically, so however many tasks for it the
broker delivers, a message is sent twice only if its sender dies in the moment between
the SMTP server accepting it and the row being marked sent (``message_deliver`` keeps
that moment as short as it can).

Without a broker (``CELERY_TASK_ALWAYS_EAGER``: ``make run``) there is no relay: the rows
due now are sent in-process right after the commit.

The engine knows the send tasks only by name (``MESSAGES_SEND_TASK`` for the relay's
hand-over, ``MESSAGE_SEND_TASK`` for one message's retry, looked up in Celery's registry):
``tasks`` builds on this module, never the reverse.
"""

import contextlib
import datetime
import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial

from celery import current_app
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.models import Case, F, Model, Q, When
from django.utils import timezone

from core.breaker import CircuitBreaker
from core.db import rows_insert
from core.metrics import EMAILS_FAILED, EMAILS_SENT

from .emails import MessageNotDeliverable, message_email
from .models import DirectoryDigest, EbookRequest, Lead, OutboundMessage, Subscriber

logger = logging.getLogger(__name__)

MESSAGES_SEND_TASK = "leads.tasks.messages_send"
MESSAGE_SEND_TASK = "leads.tasks.message_send"
# The relay hands messages over in tasks of up to this many. Publishing a task costs the
# relay about half a millisecond of CPU whatever it carries, and a lead owes four messages
# at once: one task each was a sixth of what a lead cost the whole cluster. A worker sends
# a task's messages one after another. The messages someone is waiting for (AWAITED_KINDS)
# still go one to a task: several workers send them at once, and a worker that dies holds
# back one of them, not eight, until its lease runs out.
MESSAGES_PER_TASK = 8

# After a failed publish the relay stops trying the broker for
# OUTBOX_PUBLISH_PAUSE_SECONDS rather than failing on every notification.
broker_breaker = CircuitBreaker(pause_seconds=lambda: settings.OUTBOX_PUBLISH_PAUSE_SECONDS)
# What the outbox table's trigger notifies on every insert (migration 0014).
OWED_CHANNEL = "leads_outbox"
# How long a busy relay waits after a notification before its next pass: a message waits
# this much longer, and a pass serves several leads.
RELAY_BUSY_LINGER_SECONDS = 0.05
# How soon a relay told to stop (SIGTERM) notices, whatever its polling interval.
RELAY_STOP_CHECK_SECONDS = 1.0

Kind = OutboundMessage.Kind
Status = OutboundMessage.Status

# Someone is at their inbox waiting for these. They are published with the broker's top
# priority, so a worker takes them ahead of any backlog of the rest (on Redis, 0 is the
# highest of the priority steps 0, 3, 6, 9), and the sweep hands them over first.
AWAITED_KINDS = (Kind.PATIENT_CONFIRMATION, Kind.NEWSLETTER_CONFIRMATION, Kind.EBOOK_LINK)
AWAITED_PRIORITY, OTHER_PRIORITY = 0, 6


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


def outbox_add(messages: list[OutboundMessage], *, along: Sequence[Sequence[Model]] = ()) -> None:
    """Insert owed messages inside the caller's transaction. A rollback therefore owes and
    sends nothing; a commit wakes the relay, which hands the rows due now to the broker.
    Without a broker the rows due now are sent in-process once the transaction commits.

    ``along``: groups of unsaved rows (the lead that owes the messages, ...) inserted first,
    in the same statement (``core.db.rows_insert``)."""
    now = timezone.now()
    for message in messages:
        message.max_attempts = settings.OUTBOX_MAX_ATTEMPTS
        if _tasks_run_in_process() and message.due_at <= now:
            message.enqueued_at = now
    rows_insert(*along, messages)
    _send_in_process_after_commit([m for m in messages if m.enqueued_at is not None])


def _tasks_run_in_process() -> bool:
    """No broker (``CELERY_TASK_ALWAYS_EAGER``, as Celery's app holds it): nobody relays."""
    return bool(current_app.conf.task_always_eager)


def _send_in_process_after_commit(messages: list[OutboundMessage]) -> None:
    """Without a broker (``CELERY_TASK_ALWAYS_EAGER``) nobody relays: this process sends
    ``messages``, marked handed over, once the transaction commits."""
    if messages:
        transaction.on_commit(
            partial(outbox_publish, messages=[(message.pk, message.kind) for message in messages])
        )


def outbox_add_once(message: OutboundMessage) -> None:
    """Owe ``message`` unless its idempotency key is already owed. Callers hold a lock on
    the subject's row, so two requests cannot both find the key free."""
    if not OutboundMessage.objects.filter(idempotency_key=message.idempotency_key).exists():
        outbox_add([message])


def outbox_publish(*, messages: list[tuple[int, str]]) -> int:
    """Hand messages, ``(id, kind)`` already marked ``enqueued_at``, to the broker: the
    awaited kinds first, one to a task at top priority, then the rest in tasks of up to
    MESSAGES_PER_TASK; returns how many went.

    Stops at the first publish failure (the broker is down: every further attempt would
    wait for the same timeout), logs it without any personal data, opens the broker
    breaker, and clears the mark on the rest so that they are handed over again once the
    broker answers. With ``CELERY_TASK_ALWAYS_EAGER`` the tasks run here, in-process.
    """
    # Outside the try: a task missing from the registry is a wiring fault (LeadsConfig.ready
    # imports the tasks), not a broker outage to be retried.
    messages_send = current_app.tasks[MESSAGES_SEND_TASK]
    tasks = _tasks_of(messages)
    handed_over = [message_id for _, message_ids in tasks for message_id in message_ids]
    published = 0
    try:
        # One producer for the batch, and the task's arguments written as Celery would
        # write them: acquiring a producer and Celery's generic repr were a third of what
        # a publish cost the relay.
        with _producer() as producer:
            for priority, message_ids in tasks:
                messages_send.apply_async(
                    args=[message_ids],
                    priority=priority,
                    producer=producer,
                    argsrepr=f"[{message_ids}]",
                    kwargsrepr="{}",
                )
                published += len(message_ids)
    except Exception as error:  # any broker/transport failure; handed over again later
        if broker_breaker.failed():
            logger.warning(
                "outbox: publish failed for message %s (%s); retrying every %g s",
                handed_over[published],
                type(error).__name__,
                settings.OUTBOX_PUBLISH_PAUSE_SECONDS,
            )
    if published and broker_breaker.succeeded():
        logger.info("outbox: the broker answers again; publishing resumed")
    if published < len(handed_over):
        OutboundMessage.objects.filter(
            pk__in=handed_over[published:], status=Status.PENDING
        ).update(enqueued_at=None)
    return published


def _tasks_of(messages: list[tuple[int, str]]) -> list[tuple[int, list[int]]]:
    """``(priority, message ids)`` for each task that hands ``messages`` over."""
    awaited = [message_id for message_id, kind in messages if kind in AWAITED_KINDS]
    others = [message_id for message_id, kind in messages if kind not in AWAITED_KINDS]
    return [(AWAITED_PRIORITY, [message_id]) for message_id in awaited] + [
        (OTHER_PRIORITY, others[start : start + MESSAGES_PER_TASK])
        for start in range(0, len(others), MESSAGES_PER_TASK)
    ]


def message_retry_later(*, message_id: int, kind: str, delay: float) -> None:
    """Hand one message whose attempt failed back to the broker, to be tried again after
    ``delay`` seconds (when its row falls due). If the broker does not take it, the mark is
    cleared, so the sweep hands it over once it is due."""
    try:
        current_app.tasks[MESSAGE_SEND_TASK].apply_async(
            args=[message_id],
            countdown=delay,
            priority=AWAITED_PRIORITY if kind in AWAITED_KINDS else OTHER_PRIORITY,
            argsrepr=f"[{message_id}]",
            kwargsrepr="{}",
        )
    except Exception as error:  # any broker/transport failure: the sweep takes over
        logger.warning(
            "outbox: could not hand message %s back for its retry (%s); the sweep will",
            message_id,
            type(error).__name__,
        )
        OutboundMessage.objects.filter(pk=message_id, status=Status.PENDING).update(
            enqueued_at=None
        )


def _producer():
    """A producer from Celery's pool for a batch of publishes; none when tasks run
    in-process (``CELERY_TASK_ALWAYS_EAGER``), where there is no broker."""
    if _tasks_run_in_process():
        return contextlib.nullcontext()
    return current_app.producer_or_acquire()


def outbox_dispatch_due(*, now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Hand the broker every message that is due and either was never handed over (just
    committed, or owed while the broker was down), was handed over long ago without being
    sent (the task was lost), or whose sending worker's lease expired (it died mid-send).
    The relay runs this whenever a transaction owing messages commits; beat's sweep every
    OUTBOX_SWEEP_SECONDS.

    Works through everything due in batches of ``batch``, the messages someone is waiting
    for (``AWAITED_KINDS``) first and then oldest first, so the backlog of an outage goes
    out in one run with the patients' confirmations at its head; stops at a publish
    failure. Safe to run anywhere, any number of times at once: each run takes the rows it
    marks with ``SKIP LOCKED`` (on PostgreSQL), so two relays do not hand the same row
    over together, and the claim in ``message_deliver`` makes any duplicate task harmless.
    Returns how many were handed over.
    """
    handed_over = 0
    while True:
        moment = now or timezone.now()
        requeue_before = moment - datetime.timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER_SECONDS)
        with transaction.atomic():
            due = list(
                OutboundMessage.objects.claimable(now=moment)
                .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=requeue_before))
                .annotate(awaited=Case(When(kind__in=AWAITED_KINDS, then=0), default=1))
                .order_by("awaited", "due_at")
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", "kind")[:batch]
            )
            # Stale rows are marked too, so the next run does not hand them over again.
            OutboundMessage.objects.filter(pk__in=[pk for pk, _ in due]).update(enqueued_at=moment)
        if not due:
            return handed_over
        published = outbox_publish(messages=due)
        handed_over += published
        if published < len(due) or len(due) < batch:
            return handed_over


def outbox_relay(*, every: float, running: Callable[[], bool] = lambda: True) -> None:
    """The relay: hand messages to the broker as soon as they are owed, until ``running``
    says stop (asked at least every RELAY_STOP_CHECK_SECONDS). Woken by PostgreSQL the
    moment a transaction owing messages commits, and every ``every`` seconds in any case
    (for rows that fell due meanwhile, and on SQLite, which cannot notify). While the
    broker breaker is open it only waits; while the database does not answer (a restart,
    a failover) it tries again at the next wake."""
    waiter = OwedMessages()
    woken, next_pass = True, 0.0
    try:
        while running():
            if woken or time.monotonic() >= next_pass:
                handed_over = _relay_pass()
                next_pass = time.monotonic() + every
                if handed_over:
                    # Busy: let a few more commits arrive, so that one pass hands over
                    # several leads' messages rather than each lead paying for its own.
                    time.sleep(RELAY_BUSY_LINGER_SECONDS)
            woken = waiter.wait(
                timeout=min(RELAY_STOP_CHECK_SECONDS, max(0.0, next_pass - time.monotonic()))
            )
    finally:
        waiter.close()


def _relay_pass() -> int:
    if not broker_breaker.allows:
        return 0
    try:
        return outbox_dispatch_due()
    except (OperationalError, InterfaceError) as error:
        logger.warning("outbox: the database does not answer (%s)", type(error).__name__)
        connection.close()  # the next pass opens a new one
        return 0


class OwedMessages:
    """Waits for the ``leads_outbox`` notification on a PostgreSQL connection of its own
    (Django's stays free for the relay's queries). Notifications that arrive while the
    relay works wait in the connection until the next ``wait``, so none is missed. A lost
    connection (a database restart) is opened again on the next ``wait``; until then, and
    on other databases, ``wait`` sleeps for its timeout."""

    def __init__(self):
        self._database = None

    def wait(self, *, timeout: float) -> bool:
        """True when woken by a notification, False when the timeout passed."""
        listening = self._listening()
        if listening is None:
            time.sleep(timeout)
            return False
        try:
            with self._database.wrap_database_errors:
                notified = list(listening.notifies(timeout=timeout, stop_after=1))
            return bool(notified)
        except DatabaseError as error:
            logger.warning("outbox: lost the notification connection (%s)", type(error).__name__)
            self.close()
            time.sleep(timeout)
            return False

    def _listening(self):
        if connection.vendor != "postgresql":
            return None
        if self._database is None:
            database = connections.create_connection(DEFAULT_DB_ALIAS)
            try:
                database.ensure_connection()
                database.set_autocommit(True)
                with database.wrap_database_errors:
                    database.connection.execute(f"LISTEN {OWED_CHANNEL}")
            except DatabaseError:
                with contextlib.suppress(Exception):
                    database.close()
                return None
            self._database = database
        return self._database.connection

    def close(self) -> None:
        if self._database is not None:
            with contextlib.suppress(Exception):  # closing a connection that already broke
                self._database.close()
            self._database = None


def outbox_retry(*, message_ids: Iterable[int]) -> int:
    """Give dead (or cancelled) messages a fresh set of attempts, due now: the relay (or,
    without a broker, this process after the commit) hands them over."""
    in_process = _tasks_run_in_process()
    with transaction.atomic():
        retried = list(
            OutboundMessage.objects.filter(
                pk__in=list(message_ids), status__in=[Status.DEAD, Status.CANCELLED]
            ).only("pk", "kind")
        )
        now = timezone.now()
        OutboundMessage.objects.filter(pk__in=[message.pk for message in retried]).update(
            status=Status.PENDING,
            attempts=0,
            due_at=now,
            claimed_until=None,
            enqueued_at=now if in_process else None,
            last_error="",
            updated_at=now,
        )
        if in_process:
            _send_in_process_after_commit(retried)
    return len(retried)


@dataclass(frozen=True)
class Delivery:
    """How one send attempt ended. ``retry_in`` (seconds) and the message's ``kind`` are set
    when the message is pending again after a failure; it is tried again after exactly
    that delay."""

    status: str
    retry_in: float | None = None
    kind: str = ""


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
    # What nearly every message needs (a lead's, and a provider's); the rare kinds about a
    # subscriber, an e-book request or a digest load theirs when read. Joining all six
    # would cost PostgreSQL several milliseconds of planning per message, more than the
    # rest of the send.
    message = OutboundMessage.objects.select_related(
        "lead__treatment", "specialist__institute"
    ).get(pk=message_id)

    if _no_longer_wanted(message):
        _finish(message, status=Status.CANCELLED)
        return Delivery(status=Status.CANCELLED)
    try:
        email = message_email(message)
        smtp = smtp_connection.get()
    except MessageNotDeliverable as error:
        _finish(message, status=Status.DEAD, error=str(error))
        EMAILS_FAILED.labels(kind=message.kind).inc()
        logger.error(
            "outbox: message %s (%s) is undeliverable: %s", message.pk, message.kind, error
        )
        return Delivery(status=Status.DEAD)
    except Exception as error:  # SMTP, network or template failure: counted, retried, capped
        return _failed(message, error)
    try:
        smtp.send_messages([email])
    except Exception as error:  # refused or cut off: nothing was accepted, retry later
        smtp_connection.drop()
        return _failed(message, error)
    # Accepted: record it before anything else (even closing a connection), since a
    # sender dying from here until the row says sent is the one way a message goes out
    # twice.
    _record_sent(message)
    smtp_connection.release()
    EMAILS_SENT.labels(kind=message.kind).inc()
    logger.info("outbox: sent message %s (%s)", message.pk, message.kind)
    return Delivery(status=Status.SENT)


def _record_sent(message: OutboundMessage) -> None:
    """Mark the row sent, riding out a database restart for as long as half the lease
    leaves, since the row's lease expiring with the mark unwritten would send it again."""
    patience = time.monotonic() + settings.OUTBOX_LEASE_SECONDS / 2
    while True:
        try:
            _finish(message, status=Status.SENT, sent_at=timezone.now())
            return
        except (OperationalError, InterfaceError):
            if time.monotonic() > patience or not connection.get_autocommit():
                raise
            connection.close()
            time.sleep(0.5)


class SmtpConnection:
    """This process's connection to the SMTP server, kept open from one message to the
    next: opening one (TCP, EHLO, STARTTLS, AUTH) costs more CPU than sending a message,
    and with a remote server several round trips of waiting. One idle for
    ``IDLE_SECONDS``, or that has carried ``MESSAGES_PER_CONNECTION`` messages, is closed
    and a new one opened, well before a server's own limits would cut it off; one that
    failed is dropped. Other email backends (files, memory) are opened and closed around
    each message, as Django does: the file backend writes one file per connection."""

    IDLE_SECONDS = 10
    MESSAGES_PER_CONNECTION = 100

    def __init__(self):
        self._backend = None
        self._opened_for = None
        self._last_used = 0.0
        self._sent = 0

    def get(self):
        """An open connection (a Django email backend) for the next message."""
        if (
            self._backend is None
            or time.monotonic() - self._last_used > self.IDLE_SECONDS
            or self._sent >= self.MESSAGES_PER_CONNECTION
            or self._opened_for != settings.EMAIL_BACKEND
        ):
            self.drop()
            backend = get_connection()
            backend.open()
            self._backend, self._opened_for, self._sent = backend, settings.EMAIL_BACKEND, 0
        self._sent += 1
        return self._backend

    def release(self) -> None:
        """The message went: an SMTP connection stays open for the next one."""
        self._last_used = time.monotonic()
        if not isinstance(self._backend, SmtpBackend):
            self.drop()

    def drop(self) -> None:
        """Close the connection (quietly: a goodbye that fails changes nothing)."""
        backend, self._backend = self._backend, None
        if backend is not None:
            try:
                backend.close()
            except Exception:  # the server went away already
                logger.info("outbox: closing the SMTP connection failed")


smtp_connection = SmtpConnection()


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
    EMAILS_FAILED.labels(kind=message.kind).inc()
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
    return Delivery(status=Status.PENDING, retry_in=delay, kind=message.kind)


def retry_delay(*, attempts: int) -> float:
    """Exponential backoff with jitter: between half and all of base * 2**(attempts-1),
    capped, so failed messages from one outage do not all come back at the same moment."""
    ceiling = min(
        settings.OUTBOX_RETRY_MAX_SECONDS,
        settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    return max(1.0, random.uniform(ceiling / 2, ceiling))
