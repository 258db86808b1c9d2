"""Newsletter double opt-in: subscribe, confirm, unsubscribe; each owes its email through
the outbox in the same transaction."""

from django.db import transaction
from django.utils import timezone

from core.i18n import language_current

from .models import OutboundMessage, Subscriber, email_normalize
from .outbox import outbox_add_once, outbox_message

Kind = OutboundMessage.Kind
Status = OutboundMessage.Status


def newsletter_subscribe(*, email: str, language: str | None = None) -> None:
    """Start (or restart) double opt-in for ``email``; callers answer the same whatever
    the address's state, so nobody can learn who subscribed.

    A confirmation is owed at most once per address per day; a confirmed address is left
    alone. The newsletter's emails go out in ``language`` (the active language by
    default) of the latest sign-up before the address was confirmed.
    """
    email = email_normalize(email)
    language = language or language_current()
    now = timezone.now()
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.select_for_update().get_or_create(email=email)
        if subscriber.status == Subscriber.Status.CONFIRMED:
            return
        subscriber.status = Subscriber.Status.PENDING
        subscriber.requested_at = now
        subscriber.language = language
        subscriber.save(update_fields=["status", "requested_at", "language", "updated_at"])
        outbox_add_once(
            outbox_message(
                kind=Kind.NEWSLETTER_CONFIRMATION,
                subscriber=subscriber,
                due_at=now,
                key_suffix=timezone.localdate(now).isoformat(),
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
        outbox_add_once(outbox_message(kind=Kind.NEWSLETTER_WELCOME, subscriber=subscriber))
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
