"""Reads behind the patient-facing pages that are not part of the match itself."""

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef

from specialists.models import Institute, Specialist, Treatment

AVAILABILITY_CACHE_SECONDS = 300
TREATMENT_MENU_CACHE_KEY = "treatment-menu-v2"
TREATMENT_MENU_CACHE_SECONDS = 60


def treatment_menu() -> list[dict]:
    """Slug and name (in the active language) of every treatment, in catalog order; the
    rows are cached for a minute."""
    rows = cache.get(TREATMENT_MENU_CACHE_KEY)
    if rows is None:
        rows = list(
            Treatment.objects.order_by("sort_order", "name").values("slug", "name", "name_es")
        )
        cache.set(TREATMENT_MENU_CACHE_KEY, rows, TREATMENT_MENU_CACHE_SECONDS)
    return [{"slug": row["slug"], "name": Treatment(**row).text.name} for row in rows]


def treatment_availability(*, treatment: Treatment) -> dict:
    """Where ``treatment`` is offered by qualifying specialists: how many, which states,
    and a few institutes. Cached for five minutes: it aggregates over the whole directory.
    """
    key = f"treatment-availability-v1:{treatment.pk}"
    availability = cache.get(key)
    if availability is None:
        qualifying = Specialist.objects.qualifying(treatment=treatment)
        states = list(
            qualifying.order_by()
            .values("state")
            .annotate(specialists=Count("id"))
            .order_by("-specialists", "state")
        )
        institutes = list(
            Institute.objects.filter(active=True)
            .filter(Exists(qualifying.filter(institute=OuterRef("pk"))))
            .order_by("name")
            .values("slug", "name", "city", "state")[:6]
        )
        availability = {
            "specialists": sum(row["specialists"] for row in states),
            "state_count": len(states),
            "top_states": [row["state"] for row in states[:8]],
            "institutes": institutes,
        }
        cache.set(key, availability, AVAILABILITY_CACHE_SECONDS)
    return availability


def directory_summary() -> dict:
    """Headline figures for the home page: qualifying specialists, states, institutes."""
    key = "directory-summary-v1"
    summary = cache.get(key)
    if summary is None:
        qualifying = Specialist.objects.qualifying()
        summary = {
            "specialists": qualifying.count(),
            "states": qualifying.order_by().values("state").distinct().count(),
            "institutes": Institute.objects.filter(active=True)
            .filter(Exists(qualifying.filter(institute=OuterRef("pk"))))
            .count(),
        }
        cache.set(key, summary, AVAILABILITY_CACHE_SECONDS)
    return summary
