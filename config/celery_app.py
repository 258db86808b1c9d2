"""Celery wiring, after Celery's own Django recipe.

With no CELERY_BROKER_URL the settings switch Celery to eager mode, so every task runs
in-process right after the transaction that queued it commits.

A worker or beat refuses to start on a configuration error, as `manage.py` and gunicorn
do (config.startup). With METRICS_PORT set a worker serves its Prometheus metrics (the
emails it sent and failed, summed over its pool processes) on METRICS_ADDR:METRICS_PORT,
an internal address (default 127.0.0.1).
"""

import os

from celery import Celery, signals

from .startup import metrics_directory, refuse_to_start_on_errors

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
if os.environ.get("METRICS_PORT"):
    # Set only for a worker (deploy/spine-match-worker@.service): its pool processes keep
    # their numbers in this directory. Here, because Celery sets Django up (and so imports
    # prometheus_client) before any of its start-up signals.
    metrics_directory(f"worker-{os.environ['METRICS_PORT']}")

app = Celery("spine_match")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def _worker_starting(sender, **kwargs):
    refuse_to_start_on_errors("celery worker")
    port = os.environ.get("METRICS_PORT")
    if port:
        from prometheus_client import CollectorRegistry, multiprocess, start_http_server

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        address = os.environ.get("METRICS_ADDR", "127.0.0.1")
        start_http_server(int(port), addr=address, registry=registry)


@signals.beat_init.connect
def _beat_starting(sender, **kwargs):
    refuse_to_start_on_errors("celery beat")


@signals.task_prerun.connect
@signals.task_postrun.connect
def _database_connections_as_for_a_request(sender=None, **kwargs):
    """A worker keeps its database connection from task to task (CELERY_DB_REUSE_MAX), and
    treats each task as Django treats a request: at its start and end a connection that
    broke, or that is older than CONN_MAX_AGE, is closed, and the next one first checks
    that the database still answers (CONN_HEALTH_CHECKS), so a database restart costs a
    task nothing. A task run in-process (no broker) is left to the request it runs in."""
    if sender is not None and not getattr(sender.request, "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()
