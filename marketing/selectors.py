"""Reads for marketing: the leads an export streams, the funnel report and the provider
response table."""

import dataclasses
import datetime
import statistics

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Lower, Trim, TruncDate
from django.utils import timezone

from leads.models import Lead, LeadMatch
from marketing.filters import ExportFilters
from marketing.models import SearchTally
from specialists.models import Specialist, Treatment


def _local_day_start(day: datetime.date) -> datetime.datetime | None:
    """Midnight at the start of ``day`` in the site time zone, or None when that instant
    is not representable in UTC (0001-01-01 east of Greenwich)."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    try:
        start.astimezone(datetime.UTC)
    except OverflowError:
        return None
    return start


def created_on_days(
    rows: QuerySet, *, first: datetime.date | None = None, last: datetime.date | None = None
) -> QuerySet:
    """``rows`` created on the local days ``first`` to ``last``, both inclusive; None, or a
    day at the very end of the calendar, leaves that end open. Any date the filters accept
    is a valid bound, so no filter value can overflow."""
    if first is not None and (start := _local_day_start(first)) is not None:
        rows = rows.filter(created_at__gte=start)
    if (
        last is not None
        and last < datetime.date.max
        and (end := _local_day_start(last + datetime.timedelta(days=1))) is not None
    ):
        rows = rows.filter(created_at__lt=end)
    return rows


def lead_export_list(
    *, filters: ExportFilters | None = None, queryset: QuerySet[Lead] | None = None
) -> QuerySet[Lead]:
    """Leads to export, oldest first (created_at, then id): a stable order for appending.

    ``queryset`` narrows the leads (the admin's selection); ``filters`` are the validated
    API/command filters, dates as inclusive local days.
    """
    leads = Lead.objects.all() if queryset is None else queryset
    if filters is not None:
        leads = created_on_days(leads, first=filters.created_after, last=filters.created_before)
        if filters.treatment:
            leads = leads.filter(treatment=filters.treatment)
        if filters.state:
            leads = leads.filter(state=filters.state)
        if filters.status:
            leads = leads.filter(status=filters.status)
    return leads.order_by("created_at", "id")


def conversion_rate(*, searches: int, leads: int) -> float | None:
    """Leads per search; None when nothing was searched (leads may still arrive from
    a bookmarked form or before search counting existed)."""
    return leads / searches if searches else None


@dataclasses.dataclass(frozen=True)
class FunnelRow:
    day: datetime.date
    treatment: str
    utm_source: str
    searches: int
    leads: int
    contacted: int = 0
    scheduled: int = 0
    cant_help: int = 0
    rerouted: int = 0
    median_hours_to_first_contact: float | None = None

    @property
    def conversion_rate(self) -> float | None:
        return conversion_rate(searches=self.searches, leads=self.leads)


def funnel_report(
    *, start: datetime.date, end: datetime.date, treatment: Treatment | None = None
) -> list[FunnelRow]:
    """Step-1 searches against step-2 leads per local day, treatment slug and utm_source,
    and what became of the leads: reached (``contacted``: by a provider's answer or the
    admin, scheduled included), ``scheduled``, can't-help answers, re-routes, and the
    median hours from the lead to its first contact (None when nobody was reached yet).

    ``start`` and ``end`` are inclusive. utm_source is compared lower-cased and trimmed,
    the way searches are tallied. Rows are ordered by day, treatment, then utm_source;
    "" stands for no treatment / no source.
    """
    searches = SearchTally.objects.filter(day__gte=start, day__lte=end)
    leads = created_on_days(Lead.objects.all(), first=start, last=end)
    if treatment is not None:
        searches = searches.filter(treatment=treatment)
        leads = leads.filter(treatment=treatment)
    counts: dict[tuple, _Tally] = {}
    search_counts = (
        searches.values("day", "treatment__slug", "utm_source").annotate(n=Sum("count")).order_by()
    )
    for row in search_counts:
        key = (row["day"], row["treatment__slug"] or "", row["utm_source"])
        counts.setdefault(key, _Tally()).searches += row["n"]
    lead_rows = (
        leads.annotate(
            day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()),
            source=Lower(Trim("utm_source")),
            scheduled_answers=Count("matches", filter=Q(matches__outcome="scheduled")),
            cant_help=Count("matches", filter=Q(matches__outcome="cant_help")),
            rerouted=Count("matches", filter=Q(matches__rerouted_at__isnull=False)),
        )
        .values_list(
            "day",
            "treatment__slug",
            "source",
            "status",
            "created_at",
            "first_contacted_at",
            "scheduled_answers",
            "cant_help",
            "rerouted",
        )
        .order_by()
    )
    for day, slug, source, status, created, reached, scheduled, cant_help, rerouted in (
        lead_rows.iterator()
    ):
        tally = counts.setdefault((day, slug or "", source), _Tally())
        tally.leads += 1
        tally.scheduled += bool(scheduled or status == Lead.Status.SCHEDULED)
        tally.cant_help += cant_help
        tally.rerouted += rerouted
        if reached is not None:
            tally.hours_to_contact.append((reached - created).total_seconds() / 3600)
    return [
        FunnelRow(
            day=day,
            treatment=slug,
            utm_source=source,
            searches=tally.searches,
            leads=tally.leads,
            contacted=len(tally.hours_to_contact),
            scheduled=tally.scheduled,
            cant_help=tally.cant_help,
            rerouted=tally.rerouted,
            median_hours_to_first_contact=statistics.median(tally.hours_to_contact)
            if tally.hours_to_contact
            else None,
        )
        for (day, slug, source), tally in sorted(counts.items())
    ]


@dataclasses.dataclass
class _Tally:
    searches: int = 0
    leads: int = 0
    scheduled: int = 0
    cant_help: int = 0
    rerouted: int = 0
    hours_to_contact: list[float] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class ProviderResponseRow:
    """How one specialist answered the requests routed to them in a period."""

    specialist: Specialist
    routed: int
    answered: int
    answered_in_window: int
    silent: int
    median_response_hours: float | None
    cant_help: dict[str, int]

    @property
    def in_window_rate(self) -> float | None:
        return self.answered_in_window / self.routed if self.routed else None


def provider_response_report(
    *, start: datetime.date, end: datetime.date
) -> list[ProviderResponseRow]:
    """Per specialist, the requests routed to them on the local days ``start`` to ``end``
    (inclusive): how many, how many they answered through their link, how many by the
    routing's ``respond_by`` (PROVIDER_RESPONSE_HOURS business hours), how many went on
    unanswered (``silent``), the median hours from routing to answer (None without an
    answer), and the can't-help answers per ``LeadMatch.Reason`` value. Most requests
    first, then by name. A held lead's routings count from when the lead arrived, not from
    its release."""
    routings = created_on_days(LeadMatch.objects.all(), first=start, last=end)
    reasons = {
        reason.value: Count("pk", filter=Q(cant_help_reason=reason))
        for reason in LeadMatch.Reason
    }
    counts = (
        routings.values("specialist_id")
        .annotate(
            routed=Count("pk"),
            answered=Count("pk", filter=~Q(outcome="")),
            in_window=Count("pk", filter=~Q(outcome="") & Q(answered_at__lte=F("respond_by"))),
            silent=Count("pk", filter=Q(outcome="", rerouted_at__isnull=False)),
            **reasons,
        )
        .order_by()
    )
    hours: dict[int, list[float]] = {}
    for specialist_id, routed_at, answered_at in (
        routings.filter(answered_at__isnull=False)
        .values_list("specialist_id", "created_at", "answered_at")
        .order_by()
        .iterator()
    ):
        hours.setdefault(specialist_id, []).append((answered_at - routed_at).total_seconds() / 3600)
    counts = list(counts)
    specialists = Specialist.objects.only(
        "first_name", "last_name", "credentials", "npi"
    ).in_bulk([row["specialist_id"] for row in counts])
    rows = [
        ProviderResponseRow(
            specialist=specialists[row["specialist_id"]],
            routed=row["routed"],
            answered=row["answered"],
            answered_in_window=row["in_window"],
            silent=row["silent"],
            median_response_hours=statistics.median(answers)
            if (answers := hours.get(row["specialist_id"]))
            else None,
            cant_help={reason: row[reason] for reason in reasons},
        )
        for row in counts
    ]
    rows.sort(key=lambda row: (-row.routed, row.specialist.display_name.casefold()))
    return rows
