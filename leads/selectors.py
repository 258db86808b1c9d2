"""Reads for leads and the outbox."""

import datetime
import functools
import operator
import uuid
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.db.models.functions import Lower

from specialists.models import Specialist, Treatment

from .models import Lead, LeadMatch, email_normalize


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


@dataclass(frozen=True)
class RecentLeads:
    """How many leads were stored since a moment for one email address, phone and IP."""

    email: int
    phone: int
    ip: int


def lead_recent_counts(
    *, email: str, phone: str, ip: str | None, since: datetime.datetime
) -> RecentLeads:
    """Leads created at or after ``since`` with this address (any case), this E.164 phone
    and this client IP (0 when ``ip`` is None), counted in one query on their indexes."""
    same = {"email": Q(email_lower=email_normalize(email)), "phone": Q(phone=phone)}
    if ip:
        same["ip"] = Q(consent_ip=ip)
    counts = (
        Lead.objects.annotate(email_lower=Lower("email"))
        .filter(functools.reduce(operator.or_, same.values()), created_at__gte=since)
        .aggregate(**{name: Count("pk", filter=condition) for name, condition in same.items()})
    )
    return RecentLeads(email=counts["email"], phone=counts["phone"], ip=counts.get("ip", 0))


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
