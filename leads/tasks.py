"""Celery tasks: thin wrappers that take ids and call the outbox engine (``leads.outbox``).

A task carries only outbox row ids, never a name, address or phone. Sending is idempotent
(each row is claimed atomically), which is what makes ``acks_late`` safe: a task
redelivered after a worker died finds its rows sent or takes each over once the dead
worker's lease on it has expired.
"""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import digest, outbox, privacy, responses

# What both send tasks do when the database itself is unreachable: nothing was recorded, so
# back off and retry.
DATABASE_DOWN_RETRY = dict(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=settings.OUTBOX_RETRY_BASE_SECONDS,
    retry_backoff_max=settings.OUTBOX_RETRY_MAX_SECONDS,
    retry_jitter=True,
    max_retries=settings.OUTBOX_MAX_ATTEMPTS,
)


@shared_task(
    name=outbox.MESSAGES_SEND_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    **DATABASE_DOWN_RETRY,
)
def messages_send(message_ids: list[int]) -> list[str]:
    """Send the outbox messages the relay handed over together, one after another. One
    whose attempt fails goes back to the broker on its own (``message_send``), due when its
    row says; a retry of the whole task skips the messages already sent (their claim
    fails)."""
    statuses = []
    for message_id in message_ids:
        delivery = outbox.message_deliver(message_id=message_id)
        if delivery.retry_in is not None:
            outbox.message_retry_later(
                message_id=message_id, kind=delivery.kind, delay=delivery.retry_in
            )
        statuses.append(delivery.status)
    return statuses


@shared_task(
    name=outbox.MESSAGE_SEND_TASK,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    **DATABASE_DOWN_RETRY,
)
def message_send(self, message_id: int) -> str:
    """Send one outbox message (a retry). A failed send is recorded on the row (pending again, due
    after a jittered exponential delay, or dead after its last attempt) and retried after
    exactly that delay, so the retry never arrives before the row is due."""
    delivery = outbox.message_deliver(message_id=message_id)
    if delivery.retry_in is not None:
        raise self.retry(countdown=delivery.retry_in)
    return delivery.status


@shared_task(acks_late=True, ignore_result=True)
def outbox_dispatch_due() -> int:
    """Celery beat runs this every OUTBOX_SWEEP_SECONDS: due follow-ups, and whatever a
    broker outage or a dead worker left behind, go to ``messages_send``."""
    return outbox.outbox_dispatch_due()


@shared_task(acks_late=True, ignore_result=True)
def lead_retention_apply() -> int:
    """Celery beat runs this daily: leads past LEAD_RETENTION_DAYS are anonymised."""
    return privacy.leads_retention_apply()


@shared_task(acks_late=True, ignore_result=True)
def sent_mail_prune() -> int:
    """Celery beat runs this daily: stored mail files past SENT_MAIL_RETENTION_DAYS go."""
    return privacy.sent_mail_prune()


@shared_task(acks_late=True, ignore_result=True)
def directory_digest_owe() -> bool:
    """Celery beat runs this weekly: the network team's digest of the directory's upkeep,
    owed once per week, sent through the outbox."""
    return digest.directory_digest_owe()


@shared_task(acks_late=True, ignore_result=True)
def routing_overdue_sweep() -> int:
    """Celery beat runs this every ROUTING_SWEEP_SECONDS: requests a specialist did not
    answer within PROVIDER_RESPONSE_HOURS go to the next nearest one."""
    return responses.routing_overdue_sweep()
