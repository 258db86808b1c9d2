"""Test settings: the base module with mail kept in memory and fast password hashing.

DATABASE_URL and CELERY_BROKER_URL still come from the environment, so the integration
run points the same code at PostgreSQL and Redis.
"""

import os

os.environ.setdefault("PUBLIC_POST_RATE", "1000/minute")

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

# Tests read the funnel right after searching.
SEARCH_TALLY_FLUSH_SECONDS = 0

# WhiteNoise warns on every request when the collected-static folder is missing.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
