"""A person's data under their control: erasure on request, and limits on how long it is kept.

- ``person_forget``: one person's leads are anonymised (what the funnel counts stays), their
  newsletter subscription and e-book requests deleted, every outbox row about them deleted
  and every stored mail file that mentions their address or phone removed; an
  ``ErasureRecord`` says who did it and how much went, never whom it was about.
- ``leads_retention_apply``: leads older than LEAD_RETENTION_DAYS are anonymised the same way.
- ``sent_mail_prune``: the file email backend's copies older than SENT_MAIL_RETENTION_DAYS
  are deleted.
"""

import datetime
import html
import logging
import quopri
import re
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import (
    EbookRequest,
    ErasureRecord,
    Lead,
    OutboundMessage,
    Subscriber,
    email_normalize,
)

logger = logging.getLogger(__name__)

DIGEST_SALT = "leads.privacy.erasure"
# The file email backend separates the messages it writes to one file with this line.
MAIL_FILE_SEPARATOR = b"\n" + b"-" * 79 + b"\n"
NOT_DIGITS = re.compile(r"\D")

# What anonymising a lead blanks: everything that could point to the person. Kept: when,
# the treatment, the state, the status, the campaign (the funnel and the counts), the
# consent wording and the matched specialists.
ANONYMISED = {
    "first_name": "",
    "last_name": "",
    "email": "",
    "phone": "",
    "message": "",
    "zip": "",
    "city": "",
    "consent_ip": None,
    "referrer": "",
    "utm_term": "",
    "utm_content": "",
    "dedupe_key": "",
}


def person_digest(value: str) -> str:
    """A keyed hash (HMAC-SHA256 with SECRET_KEY) of a normalised address or phone: the
    same input always gives the same digest, and nobody without the key can test guesses."""
    return salted_hmac(DIGEST_SALT, value, algorithm="sha256").hexdigest()


def leads_anonymise(leads: QuerySet[Lead]) -> int:
    """Blank the personal fields of ``leads`` and delete their outbox rows; returns how
    many leads were anonymised now (already anonymised ones are left alone)."""
    ids = list(leads.filter(anonymised_at__isnull=True).values_list("pk", flat=True))
    OutboundMessage.objects.filter(lead_id__in=ids).delete()
    return Lead.objects.filter(pk__in=ids).update(
        **ANONYMISED, anonymised_at=timezone.now(), updated_at=timezone.now()
    )


def person_forget(
    *, email: str, phone: str = "", actor: str, channel: ErasureRecord.Channel
) -> ErasureRecord:
    """Erase everything stored about the person with ``email`` (any case) and, when given,
    the E.164 ``phone``: leads with either are anonymised, the subscription and e-book
    requests of the address deleted, with every outbox row about them, and mail files
    mentioning either removed. Returns the audit record."""
    address = email_normalize(email)
    with transaction.atomic():
        matching = Q(email_lower=address) | (Q(phone=phone) if phone else Q(pk__in=[]))
        leads = Lead.objects.annotate(email_lower=Lower("email")).filter(matching)
        lead_messages = OutboundMessage.objects.filter(lead__in=leads).count()
        subscribers = Subscriber.objects.filter(email=address)
        ebook_requests = EbookRequest.objects.filter(email=address)
        other_messages = OutboundMessage.objects.filter(
            Q(subscriber__in=subscribers) | Q(ebook_request__in=ebook_requests)
        ).count()
        counts = {
            "leads": leads_anonymise(leads),
            "subscribers": subscribers.delete()[1].get(Subscriber._meta.label, 0),
            "ebook_requests": ebook_requests.delete()[1].get(EbookRequest._meta.label, 0),
            "messages": lead_messages + other_messages,
        }
        counts["mail_files"] = _mail_files_forget(address=address, phone=phone)
        record = ErasureRecord.objects.create(
            actor=actor[:150],
            channel=channel,
            email_digest=person_digest(address),
            phone_digest=person_digest(phone) if phone else "",
            counts=counts,
        )
    logger.info("privacy: erasure %s done (%s)", record.pk, counts)
    return record


def leads_retention_apply(*, now: datetime.datetime | None = None) -> int:
    """Anonymise every lead created more than LEAD_RETENTION_DAYS ago; returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.LEAD_RETENTION_DAYS)
    with transaction.atomic():
        count = leads_anonymise(Lead.objects.filter(created_at__lt=cutoff))
    if count:
        logger.info("privacy: anonymised %s leads past retention", count)
    return count


def sent_mail_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete the file email backend's copies older than SENT_MAIL_RETENTION_DAYS;
    returns how many files went."""
    now = now or timezone.now()
    cutoff = (now - datetime.timedelta(days=settings.SENT_MAIL_RETENTION_DAYS)).timestamp()
    pruned = 0
    for path in _mail_files():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            pruned += 1
    if pruned:
        logger.info("privacy: pruned %s stored mail files", pruned)
    return pruned


def _mail_files() -> list[Path]:
    folder = Path(settings.EMAIL_FILE_PATH)
    return [path for path in folder.iterdir() if path.is_file()] if folder.is_dir() else []


def _mail_files_forget(*, address: str, phone: str) -> int:
    digits = NOT_DIGITS.sub("", phone)[-10:]
    removed = 0
    for path in _mail_files():
        if _mail_file_mentions(path.read_bytes(), address=address, phone_digits=digits):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _mail_file_mentions(raw: bytes, *, address: str, phone_digits: str) -> bool:
    """Whether the stored mail mentions the address or the phone in any form: headers,
    every decoded part (quoted-printable, base64), HTML entities, any phone format."""
    texts = [raw.decode("utf-8", "replace"), quopri.decodestring(raw).decode("utf-8", "replace")]
    for chunk in raw.split(MAIL_FILE_SEPARATOR):
        message = message_from_bytes(chunk, policy=email_policy.default)
        texts.extend(str(value) for value in message.values())
        for part in message.walk():
            payload = part.get_payload(decode=True)
            if payload:
                texts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    for text in texts:
        text = html.unescape(text)
        if address and address in text.lower():
            return True
        if phone_digits and phone_digits in _digit_runs(text):
            return True
    return False


def _digit_runs(text: str) -> str:
    """The digits of each phone-like stretch ("(212) 555-0142", "+1 212.555.0142"), one
    per line, so a number written in any format reads as its plain digits."""
    stretches = re.findall(r"[\d()+\-. ]{10,}", text)
    return "\n".join(NOT_DIGITS.sub("", stretch) for stretch in stretches)
