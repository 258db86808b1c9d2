"""Rules between the outbox's settings, checked on every command and process start."""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def lease_outlasts_smtp(app_configs, **kwargs):
    if settings.EMAIL_TIMEOUT < settings.OUTBOX_LEASE_SECONDS:
        return []
    return [
        Error(
            f"EMAIL_TIMEOUT ({settings.EMAIL_TIMEOUT} s) must be below OUTBOX_LEASE_SECONDS "
            f"({settings.OUTBOX_LEASE_SECONDS} s): a slow SMTP exchange would outlive the "
            "sender's lease and another worker would send the same message again.",
            id="leads.E001",
        )
    ]


@register(deploy=True)
def broker_configured(app_configs, **kwargs):
    if settings.CELERY_BROKER_URL:
        return []
    return [
        Warning(
            "CELERY_BROKER_URL is not set: every email is sent inside the web request that "
            "owes it, and follow-ups go out only when `manage.py outbox_dispatch` runs.",
            hint="Set CELERY_BROKER_URL=redis://host:6379/0 and run a worker and one beat.",
            id="leads.W001",
        )
    ]
