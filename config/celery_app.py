"""Celery wiring, after Celery's own Django recipe.

With no CELERY_BROKER_URL the settings switch Celery to eager mode, so every task runs
in-process right after the transaction that queued it commits.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("spine_match")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
