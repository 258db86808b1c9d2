"""The free e-book: owe the download link through the outbox, count downloads."""

from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import EbookRequest, OutboundMessage
from .outbox import outbox_add, outbox_message

EBOOK_FILE = Path(__file__).resolve().parent / "ebook" / "life-after-back-surgery.html"


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
            outbox_add(
                [outbox_message(kind=OutboundMessage.Kind.EBOOK_LINK, ebook_request=requested)]
            )


def ebook_downloaded(*, ebook_request: EbookRequest) -> None:
    """Count a download of the e-book (marketing sees which links were used)."""
    EbookRequest.objects.filter(pk=ebook_request.pk).update(
        downloads=F("downloads") + 1, last_downloaded_at=timezone.now()
    )
