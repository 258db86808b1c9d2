"""The free e-book: owe the download link through the outbox, count downloads."""

from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.i18n import Language, language_current

from .models import EbookRequest, OutboundMessage, email_normalize
from .outbox import outbox_add, outbox_message

EBOOK_DIR = Path(__file__).resolve().parent / "ebook"
# The guide in each language, and the name its download is saved under.
EBOOK_FILES = {
    Language.ENGLISH: EBOOK_DIR / "life-after-back-surgery.html",
    Language.SPANISH: EBOOK_DIR / "vida-despues-de-la-cirugia-de-espalda.html",
}


def ebook_request(*, email: str, first_name: str, language: str | None = None) -> None:
    """Owe ``email`` the e-book download link; repeats on the same day send nothing more.
    The email and the guide are in ``language`` (the active language by default)."""
    email = email_normalize(email)
    with transaction.atomic():
        requested, created = EbookRequest.objects.get_or_create(
            email=email,
            requested_on=timezone.localdate(),
            defaults={"first_name": first_name, "language": language or language_current()},
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
