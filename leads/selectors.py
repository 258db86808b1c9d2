"""Reads for leads and the outbox."""

import datetime
import uuid

from django.db.models import Prefetch

from specialists.models import Specialist, Treatment

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


def specialists_choosable(*, ids: list[int], treatment: Treatment | None) -> dict[int, Specialist]:
    """Of ``ids``, the specialists a patient may send a request to, by id: qualifying for
    a match (``Specialist.objects.qualifying``, offering ``treatment`` when given), whatever
    the distance, whether or not accepting new patients (the caller says which are not)."""
    return (
        Specialist.objects.qualifying(treatment=treatment)
        .only(
            "id",
            "slug",
            "first_name",
            "last_name",
            "credentials",
            "latitude",
            "longitude",
            "accepting_new_patients",
        )
        .in_bulk(ids)
    )
