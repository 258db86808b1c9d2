"""Prometheus metrics: what the processes count, and what one scrape reports.

Every app counts through the objects defined here (the lowest layer, so any app may).
Under gunicorn or a prefork Celery worker each process keeps its own numbers; with
``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn.conf.py and the worker set it up, one directory
per instance) a scrape sums the files every process of the instance writes there.
Nothing here carries personal data: routes are URL patterns, never paths.

Some figures are read at scrape time rather than counted (the outbox rows by status, the
age of the match index): the owning app registers a function with ``on_scrape``.
"""

import os
import time
from collections.abc import Callable, Iterable

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric

REQUEST_SECONDS = Histogram(
    "spine_http_request_duration_seconds",
    "Time from a request reaching Django to its answer, by route pattern.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
MATCH_SEARCH_SECONDS = Histogram(
    "spine_match_search_duration_seconds",
    "One nearest-specialist search in the in-memory index (API, pages and lead routing).",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
)
MATCH_INDEX_BUILD_SECONDS = Histogram(
    "spine_match_index_build_duration_seconds",
    "Time to read the whole directory into a new match index base (in the background, "
    "by the builder process or a thread), including writing its snapshot file.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
MATCH_INDEX_BUILT = Gauge(
    "spine_match_index_built_timestamp_seconds",
    "When the newest match index base was built (Unix time).",
    multiprocess_mode="max",
)
MATCH_INDEX_DELTA_SECONDS = Histogram(
    "spine_match_index_delta_duration_seconds",
    "Time for a process to read the directory's changes since its snapshot and apply them.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
MATCH_INDEX_CURRENT = Gauge(
    "spine_match_index_current_timestamp_seconds",
    "When a live process last found its match index at the directory's version (Unix time).",
    multiprocess_mode="livemax",
)
LEADS_ACCEPTED = Counter("spine_leads_accepted", "Leads stored (duplicates not counted).")
EMAILS_SENT = Counter("spine_emails_sent", "Emails the SMTP server accepted.", ["kind"])
EMAILS_FAILED = Counter(
    "spine_emails_failed", "Send attempts that failed (retried later, or dead).", ["kind"]
)

_scrape_hooks: list[Callable[[], Iterable[Metric]]] = []


def on_scrape(hook: Callable[[], Iterable[Metric]]) -> None:
    """Have every scrape also report what ``hook`` yields (figures read, not counted).
    Apps register in ``AppConfig.ready``."""
    if hook not in _scrape_hooks:
        _scrape_hooks.append(hook)


def _counted() -> list[Metric]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return list(multiprocess.MultiProcessCollector(None).collect())
    return list(REGISTRY.collect())


def _index_age(families: list[Metric]) -> Iterable[Metric]:
    current = [
        sample.value
        for family in families
        if family.name == MATCH_INDEX_CURRENT._name
        for sample in family.samples
        if sample.value > 0
    ]
    if current:
        yield GaugeMetricFamily(
            "spine_match_index_age_seconds",
            "Seconds since a live process last found its match index current: growing while "
            "searches run means the indexes are behind the directory.",
            value=max(0.0, time.time() - max(current)),
        )


class Scrape:
    """One scrape's worth of metrics, for ``prometheus_client.generate_latest``."""

    def collect(self) -> Iterable[Metric]:
        families = _counted()
        yield from families
        yield from _index_age(families)
        for hook in _scrape_hooks:
            yield from hook()
