"""Reading the environment for the settings: a misconfigured production start stops here.

Each helper raises ``ImproperlyConfigured`` with a message that starts with the variable's
name and says what a good value looks like, so `manage.py`, gunicorn and Celery all refuse
to start on it alike (they import the settings before anything else).
"""

from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

# Public (it is in this file), so it can sign nothing that matters: DEBUG only.
DEVELOPMENT_SECRET_KEY = "insecure-local-development-key-change-me"

DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}
CACHE_SCHEMES = {"redis", "rediss", "locmemcache", "dummycache"}
# A cache that does not answer must cost a request milliseconds, not seconds: the
# throttle lets requests through while it is down (core.api).
CACHE_TIMEOUT_SECONDS = 0.5


def required_in_production(name: str, value, *, debug: bool, development, how: str):
    """``value`` when set; unset, the ``development`` default under DEBUG, else refuse."""
    if value:
        return value
    if debug:
        return development
    raise ImproperlyConfigured(
        f"{name} is not set, and DEBUG is off (production). Set {name} to {how}; "
        "or set DEBUG=1 on a development machine."
    )


def secret_key_from_env(*, debug: bool) -> str:
    """SECRET_KEY signs the newsletter, unsubscribe and e-book links: production refuses
    to start without one of its own, or on the public development key."""
    how = "a long random value: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    key = required_in_production(
        "SECRET_KEY",
        env.str("SECRET_KEY", default=""),
        debug=debug,
        development=DEVELOPMENT_SECRET_KEY,
        how=how,
    )
    if key == DEVELOPMENT_SECRET_KEY and not debug:
        raise ImproperlyConfigured(
            "SECRET_KEY is the public development key, and DEBUG is off (production): "
            f"anyone could forge signed links. Set SECRET_KEY to {how}."
        )
    return key


def _url(name: str, default: str, schemes: set[str], example: str) -> str:
    url = env.str(name, default=default)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} does not parse ({error}); e.g. {example}") from None
    if parts.scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name} does not parse: the scheme must be one of "
            f"{', '.join(sorted(schemes))} (got {parts.scheme or 'none'!r}); e.g. {example}"
        )
    return url


def database_from_env(name: str, *, default: str) -> dict:
    """Django's DATABASES entry from a URL such as postgres://user:pass@host:5432/name."""
    url = _url(name, default, DATABASE_SCHEMES, "postgres://user:password@127.0.0.1:5432/name")
    config = env.db_url_config(url)
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} names no database; e.g. postgres://user@host:5432/name")
    return config


def cache_from_env(name: str, *, default: str) -> dict:
    """Django's CACHES entry from a URL such as redis://127.0.0.1:6379/1."""
    url = _url(name, default, CACHE_SCHEMES, "redis://127.0.0.1:6379/1")
    config = env.cache_url_config(url)
    if config["BACKEND"].endswith("RedisCache"):
        config.setdefault("OPTIONS", {}).update(
            socket_connect_timeout=CACHE_TIMEOUT_SECONDS, socket_timeout=CACHE_TIMEOUT_SECONDS
        )
    return config
