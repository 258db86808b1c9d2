"""Reads of the directory for its upkeep: listings whose facts need confirming again and
certificates to renew. (The patient-facing search lives in ``matcher.selectors``.)"""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from .models import FACT_LABELS, BoardCertification, Specialist


def listings_stale(*, on: datetime.date | None = None) -> QuerySet[Specialist]:
    """Active specialists with a listing fact not confirmed since ``stale_before(on)``,
    with their certificates loaded (``facts_stale`` and ``certifications_verified_on``
    read them)."""
    return (
        Specialist.objects.filter(active=True)
        .facts_stale(on=on)
        .prefetch_related("certifications")
        .order_by("last_name", "first_name", "id")
    )


def listings_stale_counts(*, on: datetime.date | None = None) -> dict[str, int]:
    """How many active specialists have each fact (by FACT_LABELS key) stale."""
    active = Specialist.objects.filter(active=True)
    return {fact: active.facts_stale(fact=fact, on=on).count() for fact in FACT_LABELS}


def certifications_expiring(*, on: datetime.date | None = None) -> QuerySet[BoardCertification]:
    """Current certificates of active specialists expiring within
    CERTIFICATION_WARNING_DAYS, soonest first."""
    return (
        BoardCertification.objects.expiring(on)
        .filter(specialist__active=True)
        .select_related("specialist", "board")
        .order_by("expires_on", "id")
    )
