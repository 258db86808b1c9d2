"""System checks for what every process shares: the cache, and the admin's sign-in.

They run with every `manage.py` command and before gunicorn and Celery serve
(config.startup), so an unreachable CACHE_URL stops a start with a message naming it;
`check --deploy` adds the warnings about a production environment left weaker than the
documented one.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import caches
from django.core.checks import Critical, Tags, Warning, register

PROCESS_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


def _without_password(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}{parts.path}"


@register(Tags.caches)
def cache_answers(app_configs, **kwargs):
    errors = []
    for alias, config in settings.CACHES.items():
        if config["BACKEND"] in PROCESS_LOCAL_CACHES:
            continue
        try:
            caches[alias].get("system-check-probe")
        except Exception as error:  # whatever the client raises, the cache is unusable
            errors.append(
                Critical(
                    f"CACHE_URL: the cache at {_without_password(str(config['LOCATION']))} "
                    f"does not answer ({type(error).__name__}: {error}).",
                    hint="Start the cache (Redis) or correct CACHE_URL.",
                    id="core.C001",
                )
            )
    return errors


@register(Tags.caches, deploy=True)
def cache_is_shared(app_configs, **kwargs):
    if settings.CACHES["default"]["BACKEND"] not in PROCESS_LOCAL_CACHES:
        return []
    return [
        Warning(
            "CACHE_URL is not set: the cache lives inside each process, so every gunicorn "
            "worker counts the public POST rate limit on its own.",
            hint="Set CACHE_URL=redis://host:6379/1 (a Redis every web process reaches).",
            id="core.W001",
        )
    ]


@register(Tags.security, deploy=True)
def admin_requires_second_factor(app_configs, **kwargs):
    if settings.ADMIN_REQUIRE_2FA:
        return []
    return [
        Warning(
            "ADMIN_REQUIRE_2FA is off: a superuser's password alone opens the admin, with "
            "every patient's contact details.",
            hint="Set ADMIN_REQUIRE_2FA=1 and give each superuser an authenticator "
            "(manage.py add_totp_device USERNAME); deploy/systemd/env.example does.",
            id="core.W002",
        )
    ]
