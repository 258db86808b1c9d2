"""The weekly directory digest to the network team (NETWORK_INBOX_EMAIL): listing facts
nobody has confirmed for LISTING_STALE_DAYS and certificates expiring soon. It names
specialists, never a patient."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from specialists.selectors import certifications_expiring, listings_stale

from .models import DirectoryDigest, OutboundMessage
from .outbox import outbox_add_once, outbox_message


def directory_digest_owe(*, on: datetime.date | None = None) -> bool:
    """Owe the digest of the week (Monday to Sunday) holding ``on`` (today), at most once
    a week, and only when there is something to report. True when it is owed."""
    on = on or timezone.localdate()
    if not (listings_stale(on=on).exists() or certifications_expiring(on=on).exists()):
        return False
    week = on - datetime.timedelta(days=on.weekday())
    with transaction.atomic():
        digest, _ = DirectoryDigest.objects.get_or_create(week=week)
        # outbox_add_once checks, then inserts: hold the week's row so two runs cannot both
        # owe it.
        DirectoryDigest.objects.select_for_update().get(pk=digest.pk)
        outbox_add_once(
            outbox_message(kind=OutboundMessage.Kind.DIRECTORY_DIGEST, directory_digest=digest)
        )
    return True
