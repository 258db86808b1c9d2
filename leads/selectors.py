"""Reads for leads and the outbox."""

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch

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
    """How many leads were stored since a moment for one email address, phone and IP, each
    counted no further than its daily limit (``LEADS_PER_EMAIL_PER_DAY``, ...), and
    whether one of them was the same request (dedupe key)."""

    email: int
    phone: int
    ip: int
    same_request: bool


def lead_recent_counts(
    *, email: str, phone: str, ip: str | None, dedupe_key: str, since: datetime.datetime
) -> RecentLeads:
    """Leads created at or after ``since`` with this address (any case), this E.164 phone,
    this client IP (0 when ``ip`` is None) and this dedupe key, in one query on their
    indexes. Each count stops at its limit, so a client that has sent thousands costs no
    more to count than one that has sent a few."""
    # Plain SQL: the ORM cannot say "count at most N" four times in one query, and this
    # runs on every lead.
    quote = connection.ops.quote_name
    since_value = connection.ops.adapt_datetimefield_value(since)
    columns, params = [], []
    for column, value, limit in (
        (f"LOWER({quote('email')})", email_normalize(email), settings.LEADS_PER_EMAIL_PER_DAY),
        (quote("phone"), phone, settings.LEADS_PER_PHONE_PER_DAY),
        (quote("consent_ip"), ip, settings.LEADS_PER_IP_PER_DAY),
        (quote("dedupe_key"), dedupe_key, 1),
    ):
        if value is None:
            columns.append("0")
            continue
        columns.append(
            f"(SELECT COUNT(*) FROM (SELECT 1 FROM {quote(Lead._meta.db_table)}"
            f" WHERE {column} = %s AND {quote('created_at')} >= %s"
            f" LIMIT {max(int(limit), 1)}) AS recent)"
        )
        params += [value, since_value]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", params)
        email_count, phone_count, ip_count, same = cursor.fetchone()
    return RecentLeads(email=email_count, phone=phone_count, ip=ip_count, same_request=same > 0)


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
