"""Settings for every environment, read from environment variables.

Local defaults are safe for a laptop: SQLite file, tasks in-process, email written to
files under var/. Production switches are environment variables, never another module.
With DEBUG off (the default) the site is in production: it refuses to start without its
own SECRET_KEY and ALLOWED_HOSTS, and a variable that does not parse stops it here with
an error naming the variable (config.environment).
"""

import datetime
from pathlib import Path

from celery.schedules import crontab

from core.logs import logging_config

from .environment import (
    cache_from_env,
    database_from_env,
    env,
    required_in_production,
    secret_key_from_env,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = secret_key_from_env(debug=DEBUG)
ALLOWED_HOSTS = required_in_production(
    "ALLOWED_HOSTS",
    env.list("ALLOWED_HOSTS", default=[]),
    debug=DEBUG,
    development=["127.0.0.1", "localhost", "testserver"],
    how="the site's host names, comma-separated (e.g. spinematch.example,www.spinematch.example)",
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Reverse proxies in front of the site (HAProxy, a CDN) whose X-Forwarded-For we believe;
# 0 means clients reach the site directly and the header is ignored (core.http).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

INSTALLED_APPS = [
    # Django's admin on core's AdminSite: the sign-in asks for an authenticator code.
    "core.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # The project's apps, in layer order: each imports only from those above it.
    "core",
    "geo",
    "specialists",
    "matcher",
    "leads",
    "marketing",
    "pages",
]

MIDDLEWARE = [
    "core.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "core.i18n.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.DatabaseOutageMiddleware",
    # Cookieless GETs to the public read APIs are answered here: what follows serves
    # sessions, forms and staff sign-in, and adds nothing to such a response.
    "core.middleware.SessionlessGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pages.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_env("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the site read while an import or a worker writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    # Keep connections: opening one (WAL set-up, Django's SQL functions) costs several
    # milliseconds, more than a whole search (benchmarks/match.py).
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses a locked-out username and address before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# The admin (core.admin_site). Its path can move off the well-known /admin/.
ADMIN_URL = env.str("ADMIN_URL", default="admin/")
# Superusers must sign in with an authenticator code (TOTP); staff who set one up always do.
ADMIN_REQUIRE_2FA = env.bool("ADMIN_REQUIRE_2FA", default=False)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Spine Match admin")
# Only staff sign in. The session ends after this long without a request (each request
# renews it), so an unattended admin browser does not stay signed in for days.
STAFF_SESSION_SECONDS = env.int("STAFF_SESSION_SECONDS", default=3600)
SESSION_COOKIE_AGE = STAFF_SESSION_SECONDS
SESSION_SAVE_EVERY_REQUEST = True
# Failed admin sign-ins: counted per username and client address (core.http.client_ip, so
# only trusted proxies' X-Forwarded-For counts), stored and logged; too many lock that
# pair out for a while, answered 429 with Retry-After (core.admin_site.lockout_response).
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("ADMIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.http.client_ip"
AXES_LOCKOUT_CALLABLE = "core.admin_site.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False  # no banner on every start (it would land in piped command output)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_TZ = True

# Languages: English at the plain addresses, Spanish under /es/ (pages.urls through
# i18n_patterns); the API follows Accept-Language (core.i18n.LocaleMiddleware). The codes
# are core.i18n.Language's, which a system check holds equal. Translations are compiled
# from locale/ by `make install` (manage.py compilemessages).
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Numbers with a decimal point in Spanish too, as US Spanish-language health sites write
# them ("1.5 millas"); core/formats/ holds the overrides.
FORMAT_MODULE_PATH = ["core.formats"]

STATIC_URL = "/static/"
# `manage.py collectstatic` (the release step) writes hashed, compressed copies here.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "core.staticfiles.ForgivingManifestStaticFilesStorage"
        )
    },
}
# Without a collected manifest WhiteNoise serves the source files, so a deploy that
# skipped collectstatic still has styles (unhashed, short-cached) instead of 404s.
STATIC_MANIFEST_PATH = STATIC_ROOT / "staticfiles.json"
WHITENOISE_USE_FINDERS = DEBUG or not STATIC_MANIFEST_PATH.exists()
MEDIA_ROOT = VAR_DIR / "media"

# Throttle counters and anything else every process must agree on. The default is per
# process: in production set CACHE_URL to Redis (`check --deploy` warns otherwise).
CACHES = {"default": cache_from_env("CACHE_URL", default="locmemcache://")}

# Email: EMAIL_URL (smtp://user:pass@host:port) or EMAIL_BACKEND. The default keeps
# patient mail off the console, where it would end up in logs.
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend"
    )
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "sent-mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Spine Match <care@spinematch.example>")

# Public site facts used in templates and marketing email.
SITE_NAME = env.str("SITE_NAME", default="Spine Match")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
PATIENT_PHONE_NUMBER = env.str("PATIENT_PHONE_NUMBER", default="+18005550199")
SENDER_POSTAL_ADDRESS = env.str(
    "SENDER_POSTAL_ADDRESS", default="Spine Match, 100 Example Ave, Suite 200, Tampa, FL 33602"
)

# Street-address geocoding for provider imports. Off by default: nothing may need the
# network at run time. "nominatim" turns geopy's Nominatim on.
GEOCODER = env.str("GEOCODER", default="")
GEOCODER_USER_AGENT = env.str("GEOCODER_USER_AGENT", default="spine-match-provider-import")
GEOCODER_MIN_DELAY_SECONDS = env.float("GEOCODER_MIN_DELAY_SECONDS", default=1.0)

# Requests per client over all public POST endpoints, e.g. 20/minute; "off" for none.
_public_post_rate = env.str("PUBLIC_POST_RATE", default="20/minute")
_public_post_rate = None if _public_post_rate == "off" else _public_post_rate
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "core.api_tokens.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"public_post": _public_post_rate},
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Scripts' API tokens (core.api_tokens) expire after this many days unless made otherwise.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
SPECTACULAR_SETTINGS = {
    "TITLE": "Spine Match API",
    "DESCRIPTION": "Nearest board-certified spine specialists, leads and marketing export.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# The match index (matcher.index): how often a process rereads the directory version, where
# this host keeps the snapshot file its processes share (empty: none, each process builds
# its own), and when a new base is built instead of extending the overlay.
MATCH_INDEX_RECHECK_SECONDS = env.float("MATCH_INDEX_RECHECK_SECONDS", default=1.0)
MATCH_INDEX_DIR = env.str("MATCH_INDEX_DIR", default=str(VAR_DIR / "match-index")) or None
MATCH_INDEX_BACKGROUND = True
MATCH_INDEX_OVERLAY_MAX = env.int("MATCH_INDEX_OVERLAY_MAX", default=2000)
MATCH_INDEX_DELTA_MAX = env.int("MATCH_INDEX_DELTA_MAX", default=20000)
MATCH_INDEX_LOG_DAYS = env.int("MATCH_INDEX_LOG_DAYS", default=7)
# From this many qualifying specialists up, a snapshot build also tabulates the default
# search's total around every ZIP (matcher.index.place_totals): a few seconds of the build,
# a ball count less for most searches; below it, counting costs a search little.
MATCH_INDEX_PLACE_TOTALS_MIN_ROWS = 250_000

# The funnel's anonymous search counter is buffered per process and written at most this
# often, so a search never waits on a committed write.
SEARCH_TALLY_FLUSH_SECONDS = env.float("SEARCH_TALLY_FLUSH_SECONDS", default=10.0)

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish to a dead broker must fail fast: the outbox row is already committed and
# the periodic sweep will send it once the broker is back.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
# One immediate reconnect (a pooled connection that went stale when Redis restarted), then
# give up: a refused publish costs milliseconds, not the default retries' 0.6 s.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0,
    "interval_max": 0,
}
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=None)
# Celery's Django fix-up closes the database connection before and after every task
# unless told to reuse it: every email would pay for a new PostgreSQL connection (a server
# process forked, authenticated and warmed up, about 15 ms of the server's CPU, more than
# the email itself). Reused here, closed every 500 tasks; config.celery_app treats
# each task as Django treats a request (broken or old connections closed, health checked).
CELERY_DB_REUSE_MAX = 500
# Workers outlive a broker outage (config.broker): a channel that lost its connection
# says so in a way Celery recovers from, and a worker reconnects every second, never
# giving up: Redis back after any outage means the workers back at work.
CELERY_BROKER_TRANSPORT = (
    "config.broker:RedisTransport" if CELERY_BROKER_URL.startswith("redis") else None
)
CELERY_WORKER_CONSUMER = "config.broker:Consumer"
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# The tasks are short and idempotent: one cut off by a lost broker connection runs again.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Logging stays Django's (LOGGING below, JSON when LOG_FORMAT=json) in workers too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "outbox-dispatch-due": {
        "task": "leads.tasks.outbox_dispatch_due",
        "schedule": env.float("OUTBOX_SWEEP_SECONDS", default=10.0),
    },
    # Provider requests nobody answered within PROVIDER_RESPONSE_HOURS go to the next one.
    "routing-overdue-sweep": {
        "task": "leads.tasks.routing_overdue_sweep",
        "schedule": env.float("ROUTING_SWEEP_SECONDS", default=300.0),
    },
    # Stale listing facts and expiring certificates, to the network team, Monday morning.
    "directory-digest-weekly": {
        "task": "leads.tasks.directory_digest_owe",
        "schedule": crontab(day_of_week="mon", hour=7, minute=0),
    },
    "lead-retention": {
        "task": "leads.tasks.lead_retention_apply",
        "schedule": crontab(hour=3, minute=30),
    },
    "sent-mail-prune": {
        "task": "leads.tasks.sent_mail_prune",
        "schedule": crontab(hour=3, minute=45),
    },
}
# Retention (leads.privacy): leads are anonymised this long after they arrive (the funnel
# keeps its counts), and the file email backend's copies are deleted after this many days.
LEAD_RETENTION_DAYS = env.int("LEAD_RETENTION_DAYS", default=365)
SENT_MAIL_RETENTION_DAYS = env.int("SENT_MAIL_RETENTION_DAYS", default=7)
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
# Crontab entries are read in the site's time zone, not UTC.
CELERY_TIMEZONE = TIME_ZONE

# The email outbox (leads.outbox). A sender's lease must outlast one SMTP exchange
# (EMAIL_TIMEOUT), or a slow send could be taken over and sent twice.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=120)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=3600)
OUTBOX_REQUEUE_AFTER_SECONDS = env.int("OUTBOX_REQUEUE_AFTER_SECONDS", default=120)
# After a failed publish the relay tries the broker again this often (a circuit breaker),
# so a broker that comes back gets the backlog within about this long.
OUTBOX_PUBLISH_PAUSE_SECONDS = env.float("OUTBOX_PUBLISH_PAUSE_SECONDS", default=1.0)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Institutes have no email address: requests for a specialist without one, and leads
# with no match, go to the network team here.
NETWORK_INBOX_EMAIL = env.str("NETWORK_INBOX_EMAIL", default="network@spinematch.example")
# Abuse limits on leads per rolling 24 hours (leads.services). Beyond any of them a lead
# is stored, held for review and emails nobody; the client is answered as usual. Only the
# first lead from an address in 24 hours emails the patient.
LEADS_PER_EMAIL_PER_DAY = env.int("LEADS_PER_EMAIL_PER_DAY", default=3)
LEADS_PER_PHONE_PER_DAY = env.int("LEADS_PER_PHONE_PER_DAY", default=3)
LEADS_PER_IP_PER_DAY = env.int("LEADS_PER_IP_PER_DAY", default=10)
# The patient's free-text message can hold health details: off, the provider email says a
# note exists and the provider reads it through the network team instead.
PROVIDER_EMAIL_INCLUDES_MESSAGE = env.bool("PROVIDER_EMAIL_INCLUDES_MESSAGE", default=False)
# A listing fact (certificate, accepting new patients, treatments, address) not confirmed
# for this many days is stale: the admin filters on it and the weekly digest lists it.
LISTING_STALE_DAYS = env.int("LISTING_STALE_DAYS", default=365)
# How long an admin's dry-run upload (and a run's rejected rows) stay on the server.
IMPORT_STAGING_MAX_AGE_SECONDS = env.int("IMPORT_STAGING_MAX_AGE_SECONDS", default=3600)
NEWSLETTER_CONFIRM_MAX_AGE_DAYS = env.int("NEWSLETTER_CONFIRM_MAX_AGE_DAYS", default=7)
EBOOK_LINK_MAX_AGE_DAYS = env.int("EBOOK_LINK_MAX_AGE_DAYS", default=7)
# The closed loop with providers (leads.responses): how long the link in a provider's
# email works, and how many business hours (Mon-Fri 9-17, site time) they have to answer
# before the request goes to the next nearest specialist.
PROVIDER_LINK_MAX_AGE_DAYS = env.int("PROVIDER_LINK_MAX_AGE_DAYS", default=30)
PROVIDER_RESPONSE_HOURS = env.float("PROVIDER_RESPONSE_HOURS", default=8.0)
# How long the link in a provider's email to correct their own listing works.
PROVIDER_CORRECTION_LINK_MAX_AGE_DAYS = env.int(
    "PROVIDER_CORRECTION_LINK_MAX_AGE_DAYS", default=30
)

# LOG_FORMAT=json: one JSON object per line. Either way every line is redacted as it is
# written (core.logs), and requests are logged by core.middleware.RequestLogMiddleware
# with link tokens and lead ids masked in the path.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = logging_config(format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
ACCESS_LOG = env.bool("ACCESS_LOG", default=not DEBUG)

# Prometheus metrics at /metrics for `Authorization: Bearer <METRICS_TOKEN>`; unset, the
# endpoint answers 404. gunicorn.conf.py and the Celery worker set PROMETHEUS_MULTIPROC_DIR
# so the numbers of every worker process are summed (core.metrics).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# HTTPS. TLS ends at HAProxy (or a load balancer in front of it), which tells the site the
# original scheme in X-Forwarded-Proto; production defaults are the safe ones.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Probes and the metrics scraper talk to an instance directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
# Only a trusted proxy may say the request came over HTTPS: the header is believed only
# when TRUSTED_PROXY_COUNT says there is one (HAProxy overwrites whatever a client sent).
_proto_header = env.str(
    "SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto" if TRUSTED_PROXY_COUNT else ""
)
if _proto_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proto_header.upper().replace("-", "_"), "https")

# Scripts and styles from this site only, never inline (core.middleware). Templates keep
# CSS and JavaScript in static files; inline SVG presentation attributes are not styles.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Location is for the coming "use my location" search; nothing here needs the rest.
PERMISSIONS_POLICY = {
    "geolocation": "(self)",
    "camera": "()",
    "microphone": "()",
    "payment": "()",
    "usb": "()",
    "serial": "()",
    "bluetooth": "()",
    "magnetometer": "()",
    "gyroscope": "()",
    "accelerometer": "()",
    "display-capture": "()",
    "browsing-topics": "()",
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
