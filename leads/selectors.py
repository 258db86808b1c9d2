"""Reads for leads and the outbox."""

import datetime
import uuid

from django.db.models import Prefetch

from .models import Lead, LeadMatch


def _matches_prefetch() -> Prefetch:
    return Prefetch(
        "matches",
        queryset=LeadMatch.objects.select_related("specialist__institute").order_by("rank"),
    )


def lead_recent_duplicate(*, dedupe_key: str, since: datetime.datetime) -> Lead | None:
    """The earliest lead with ``dedupe_key`` created at or after ``since``, matches loaded."""
    return (
        Lead.objects.filter(dedupe_key=dedupe_key, created_at__gte=since)
        .prefetch_related(_matches_prefetch())
        .order_by("created_at")
        .first()
    )


def lead_with_matches(*, lead_id: uuid.UUID) -> Lead | None:
    """A lead and its matched specialists (with institutes), nearest first."""
    return (
        Lead.objects.select_related("treatment")
        .prefetch_related(_matches_prefetch())
        .filter(pk=lead_id)
        .first()
    )
