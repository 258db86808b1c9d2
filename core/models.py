"""Rows the plumbing keeps: API tokens for scripts."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, *, now=None):
        """Tokens that have not expired, of active users."""
        return self.filter(expires_at__gt=now or timezone.now(), user__is_active=True)


class ApiToken(models.Model):
    """A key a script sends as ``Authorization: Token <key>`` to act as ``user``.

    Only a SHA-256 digest of the key is stored (keys are 160 random bits, so a fast hash
    is enough); the key itself is shown once, when the token is made
    (``core.api_tokens.api_token_create``), and every token expires.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, help_text="What uses it, e.g. a script.")
    prefix = models.CharField(
        max_length=8, editable=False, help_text="The key's first characters, to tell tokens apart."
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.prefix}… ({self.user})"
