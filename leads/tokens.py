"""Signed tokens in the links of newsletter and e-book emails.

Each purpose has its own salt, so a token for one link never opens another. Tokens carry
only a row id; they are signed (not encrypted) with SECRET_KEY.
"""

import datetime

from django.conf import settings
from django.core import signing

from .models import EbookRequest, Subscriber

CONFIRM_SALT = "leads.newsletter.confirm"
UNSUBSCRIBE_SALT = "leads.newsletter.unsubscribe"
EBOOK_SALT = "leads.ebook.download"


class TokenExpired(Exception):
    """A genuine link that is too old."""


class TokenInvalid(Exception):
    """Not a link we made (mistyped, truncated or forged), or its row is gone."""


def _load(token: str, *, salt: str, max_age: datetime.timedelta | None) -> int:
    try:
        value = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise TokenExpired from None
    except signing.BadSignature:
        raise TokenInvalid from None
    if not isinstance(value, int):
        raise TokenInvalid
    return value


def newsletter_confirm_token(subscriber: Subscriber) -> str:
    return signing.dumps(subscriber.pk, salt=CONFIRM_SALT)


def newsletter_unsubscribe_token(subscriber: Subscriber) -> str:
    return signing.dumps(subscriber.pk, salt=UNSUBSCRIBE_SALT)


def ebook_download_token(request: EbookRequest) -> str:
    return signing.dumps(request.pk, salt=EBOOK_SALT)


def subscriber_from_confirm_token(token: str) -> Subscriber:
    """Raises TokenExpired after NEWSLETTER_CONFIRM_MAX_AGE_DAYS, TokenInvalid otherwise."""
    max_age = datetime.timedelta(days=settings.NEWSLETTER_CONFIRM_MAX_AGE_DAYS)
    pk = _load(token, salt=CONFIRM_SALT, max_age=max_age)
    subscriber = Subscriber.objects.filter(pk=pk).first()
    if subscriber is None:
        raise TokenInvalid
    return subscriber


def subscriber_from_unsubscribe_token(token: str) -> Subscriber:
    """Unsubscribe links never expire: an old email must still let people leave."""
    subscriber = Subscriber.objects.filter(
        pk=_load(token, salt=UNSUBSCRIBE_SALT, max_age=None)
    ).first()
    if subscriber is None:
        raise TokenInvalid
    return subscriber


def ebook_request_from_token(token: str) -> EbookRequest:
    """Raises TokenExpired after EBOOK_LINK_MAX_AGE_DAYS, TokenInvalid otherwise."""
    max_age = datetime.timedelta(days=settings.EBOOK_LINK_MAX_AGE_DAYS)
    request = EbookRequest.objects.filter(pk=_load(token, salt=EBOOK_SALT, max_age=max_age)).first()
    if request is None:
        raise TokenInvalid
    return request
