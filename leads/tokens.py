"""Signed tokens in the links of newsletter, e-book and provider emails.

Each purpose has its own salt, so a token for one link never opens another. Tokens are
signed (not encrypted) with SECRET_KEY and carry only a row id, or, for a provider's link,
the routing's random ``link_key``: a provider forwarding a link learns nothing about row
ids.
"""

import datetime

from django.conf import settings
from django.core import signing

from .models import EbookRequest, LeadMatch, Subscriber

CONFIRM_SALT = "leads.newsletter.confirm"
UNSUBSCRIBE_SALT = "leads.newsletter.unsubscribe"
EBOOK_SALT = "leads.ebook.download"
PROVIDER_LEAD_SALT = "leads.provider.lead"


class TokenExpired(Exception):
    """A genuine link that is too old."""


class TokenInvalid(Exception):
    """Not a link we made (mistyped, truncated or forged), or its row is gone."""


def _load(
    token: str, *, salt: str, max_age: datetime.timedelta | None, kind: type = int
) -> int | str:
    try:
        value = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise TokenExpired from None
    except signing.BadSignature:
        raise TokenInvalid from None
    if not isinstance(value, kind):
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


def provider_lead_token(match: LeadMatch) -> str:
    return signing.dumps(match.link_key.hex, salt=PROVIDER_LEAD_SALT)


def lead_match_from_token(token: str) -> LeadMatch:
    """The routing a provider's link names, lead and specialist loaded. Raises TokenExpired
    after PROVIDER_LINK_MAX_AGE_DAYS, TokenInvalid otherwise."""
    max_age = datetime.timedelta(days=settings.PROVIDER_LINK_MAX_AGE_DAYS)
    key = _load(token, salt=PROVIDER_LEAD_SALT, max_age=max_age, kind=str)
    match = (
        LeadMatch.objects.select_related("lead__treatment", "specialist")
        .filter(link_key=key)
        .first()
    )
    if match is None:
        raise TokenInvalid
    return match
