"""Signed, expiring links in email: what every app's link tokens share.

Tokens are signed (not encrypted) with SECRET_KEY and a salt per purpose, so a token for
one link never opens another; what they carry is readable, so they carry only random or
public identifiers, never a row's sequential key.
"""

import datetime

from django.core import signing


class TokenExpired(Exception):
    """A genuine link that is too old."""


class TokenInvalid(Exception):
    """Not a link we made (mistyped, truncated or forged), or its row is gone."""


def signed_value(token: str, *, salt: str, max_age: datetime.timedelta | None) -> object:
    """What ``token`` carries, if we signed it with ``salt`` no longer than ``max_age``
    ago (None: any age). Raises TokenExpired or TokenInvalid."""
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise TokenExpired from None
    except signing.BadSignature:
        raise TokenInvalid from None
