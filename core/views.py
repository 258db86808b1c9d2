"""Operations endpoints: liveness, readiness and the Prometheus scrape.

``/healthz`` is what HAProxy routes by: the process answers and its database does. A
broker outage must not take web instances out of rotation (leads keep coming in and the
outbox catches up), so only ``/readyz`` looks at the cache and the broker as well; it is
for deploy gates and alerts.
"""

import hmac
import uuid

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .metrics import Scrape

# A broker or cache that does not answer within this is "not ready".
PROBE_TIMEOUT_SECONDS = 2


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _cache() -> str:
    probe = uuid.uuid4().hex
    cache.set("readyz-probe", probe, timeout=10)
    if cache.get("readyz-probe") != probe:
        raise LookupError("the cache did not keep a value")
    return "ok"


def _broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "none (tasks run in-process)"
    with current_app.connection_for_write(
        url=settings.CELERY_BROKER_URL, connect_timeout=PROBE_TIMEOUT_SECONDS
    ) as broker:
        broker.ensure_connection(max_retries=1, timeout=PROBE_TIMEOUT_SECONDS)
        broker.default_channel  # noqa: B018 (opening a channel talks to the broker)
    return "ok"


READINESS_CHECKS = {"database": _database, "cache": _cache, "broker": _broker}


def _probe(check) -> tuple[bool, str]:
    try:
        return True, check()
    except Exception as error:  # whatever the driver raises, the part is not ready
        return False, type(error).__name__


@never_cache
def healthz(request):
    """200 when the database answers; 503 otherwise, so a load balancer drops the node."""
    ok, detail = _probe(_database)
    if not ok:
        return JsonResponse({"status": "error", "database": detail}, status=503)
    return JsonResponse({"status": "ok", "database": detail})


@never_cache
def readyz(request):
    """200 when the database, the cache and the broker all answer; otherwise 503 with
    ``failing`` naming the parts that did not (and each part's error class)."""
    results = {name: _probe(check) for name, check in READINESS_CHECKS.items()}
    failing = [name for name, (ok, _) in results.items() if not ok]
    body = {
        "status": "error" if failing else "ok",
        "failing": failing,
        **{name: detail for name, (_, detail) in results.items()},
    }
    return JsonResponse(body, status=503 if failing else 200)


@never_cache
def metrics(request):
    """The Prometheus text format, for ``Authorization: Bearer <METRICS_TOKEN>``; 404 when
    no token is configured, 401 for a wrong one."""
    if not settings.METRICS_TOKEN:
        raise Http404
    given = request.headers.get("Authorization", "").encode()
    if not hmac.compare_digest(given, f"Bearer {settings.METRICS_TOKEN}".encode()):
        return HttpResponse(status=401, headers={"WWW-Authenticate": "Bearer"})
    return HttpResponse(generate_latest(Scrape()), content_type=CONTENT_TYPE_LATEST)
