"""Test settings: the base module with mail kept in memory and fast password hashing.

DATABASE_URL and CELERY_BROKER_URL still come from the environment, so the integration
run points the same code at PostgreSQL and Redis. Tests run with DEBUG off, as
production does, on a key and host list of their own and over plain HTTP.
"""

import os

os.environ.setdefault("PUBLIC_POST_RATE", "1000/minute")
os.environ.setdefault("SECRET_KEY", "tests-only-key-that-signs-nothing-outside-the-test-suite")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("ACCESS_LOG", "0")

from .settings import *  # noqa: F403
from .settings import DATABASES, STATIC_ROOT, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if not os.environ.get("EMAIL_URL") and not os.environ.get("EMAIL_BACKEND"):
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "test-media"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

# Each test's rows live in its own transaction: the match index is built inline, on the
# test's connection, and kept in memory only.
MATCH_INDEX_DIR = None
MATCH_INDEX_BACKGROUND = False

# Tests read the funnel right after searching.
SEARCH_TALLY_FLUSH_SECONDS = 0

# WhiteNoise warns on every request when the collected-static folder is missing.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
