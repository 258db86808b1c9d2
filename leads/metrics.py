"""Outbox figures read at scrape time (core.metrics.on_scrape): rows by status, and how
long the oldest message that is due has been waiting. Growing age means nothing sends."""

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from .models import OutboundMessage

Status = OutboundMessage.Status


def outbox_figures():
    rows = GaugeMetricFamily("spine_outbox_messages", "Outbox rows by status.", labels=["status"])
    counts = dict(OutboundMessage.objects.values_list("status").annotate(n=Count("id")).order_by())
    for status in Status.values:
        rows.add_metric([status], counts.get(status, 0))
    yield rows
    now = timezone.now()
    oldest = OutboundMessage.objects.claimable(now=now).aggregate(oldest=Min("due_at"))["oldest"]
    yield GaugeMetricFamily(
        "spine_outbox_oldest_due_age_seconds",
        "Seconds the oldest due, unsent message has waited (0 when none is waiting).",
        value=(now - oldest).total_seconds() if oldest else 0.0,
    )
