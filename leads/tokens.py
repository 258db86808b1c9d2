"""Signed tokens in the links of newsletter, e-book and provider emails.

Each purpose has its own salt, so a token for one link never opens another (see
``core.signed_links``, which raises TokenExpired and TokenInvalid). Tokens carry
only the row's random ``public_id`` (never the sequential primary key, which would tell
how many people subscribed); they are signed (not encrypted) with SECRET_KEY.
"""

import datetime
import uuid

from django.conf import settings
from django.core import signing

from core.signed_links import TokenInvalid, signed_value

from .models import EbookRequest, LeadMatch, Subscriber

CONFIRM_SALT = "leads.newsletter.confirm"
UNSUBSCRIBE_SALT = "leads.newsletter.unsubscribe"
EBOOK_SALT = "leads.ebook.download"
PROVIDER_LEAD_SALT = "leads.provider.lead"


def _load(token: str, *, salt: str, max_age: datetime.timedelta | None) -> uuid.UUID:
    value = signed_value(token, salt=salt, max_age=max_age)
    try:
        return uuid.UUID(hex=value)
    except (TypeError, ValueError, AttributeError):
        raise TokenInvalid from None


def _dump(row: Subscriber | EbookRequest | LeadMatch, *, salt: str) -> str:
    return signing.dumps(row.public_id.hex, salt=salt)


def _row(model, public_id: uuid.UUID):
    row = model.objects.filter(public_id=public_id).first()
    if row is None:
        raise TokenInvalid
    return row


def newsletter_confirm_token(subscriber: Subscriber) -> str:
    return _dump(subscriber, salt=CONFIRM_SALT)


def newsletter_unsubscribe_token(subscriber: Subscriber) -> str:
    return _dump(subscriber, salt=UNSUBSCRIBE_SALT)


def ebook_download_token(request: EbookRequest) -> str:
    return _dump(request, salt=EBOOK_SALT)


def subscriber_from_confirm_token(token: str) -> Subscriber:
    """Raises TokenExpired after NEWSLETTER_CONFIRM_MAX_AGE_DAYS, TokenInvalid otherwise."""
    max_age = datetime.timedelta(days=settings.NEWSLETTER_CONFIRM_MAX_AGE_DAYS)
    return _row(Subscriber, _load(token, salt=CONFIRM_SALT, max_age=max_age))


def subscriber_from_unsubscribe_token(token: str) -> Subscriber:
    """Unsubscribe links never expire: an old email must still let people leave."""
    return _row(Subscriber, _load(token, salt=UNSUBSCRIBE_SALT, max_age=None))


def ebook_request_from_token(token: str) -> EbookRequest:
    """Raises TokenExpired after EBOOK_LINK_MAX_AGE_DAYS, TokenInvalid otherwise."""
    max_age = datetime.timedelta(days=settings.EBOOK_LINK_MAX_AGE_DAYS)
    return _row(EbookRequest, _load(token, salt=EBOOK_SALT, max_age=max_age))


def provider_lead_token(match: LeadMatch) -> str:
    return _dump(match, salt=PROVIDER_LEAD_SALT)


def lead_match_from_token(token: str) -> LeadMatch:
    """The routing a provider's link names. Raises TokenExpired after
    PROVIDER_LINK_MAX_AGE_DAYS, TokenInvalid otherwise."""
    max_age = datetime.timedelta(days=settings.PROVIDER_LINK_MAX_AGE_DAYS)
    return _row(LeadMatch, _load(token, salt=PROVIDER_LEAD_SALT, max_age=max_age))
