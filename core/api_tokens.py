"""API tokens for scripts: made with a random key shown once, stored as a digest, expiring.

Clients keep sending ``Authorization: Token <key>`` exactly as with Django REST
framework's own tokens; ``TokenAuthentication`` checks the key's digest instead of a key
stored in clear.
"""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken

# The key is written to last_used_at at most this often: not an UPDATE per request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=5)


def api_token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_issue(token: ApiToken, *, days: int | None = None) -> str:
    """Give an unsaved ``token`` (user and name set) a fresh key valid ``days`` (default
    API_TOKEN_DAYS), save it, and return the key: the only time the key exists outside
    the client that keeps it."""
    key = secrets.token_hex(20)
    token.prefix = key[:8]
    token.digest = api_token_digest(key)
    token.expires_at = timezone.now() + datetime.timedelta(days=days or settings.API_TOKEN_DAYS)
    token.save()
    return key


def api_token_create(*, user, name: str = "", days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its key (see ``api_token_issue``)."""
    token = ApiToken(user=user, name=name)
    return token, api_token_issue(token, days=days)


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>`` against the stored digests; expired tokens and
    inactive users are refused alike (401)."""

    def authenticate_credentials(self, key):
        now = timezone.now()
        token = (
            ApiToken.objects.usable(now=now)
            .select_related("user")
            .filter(digest=api_token_digest(key))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
