"""Reads behind the patient-facing pages that are not part of the match itself."""

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef
from django.utils.translation import gettext_lazy

from core.text import joined_with_and
from geo.gazetteer import DISTRICT_AND_TERRITORIES, STATES
from specialists.models import Institute, Specialist, Treatment

AVAILABILITY_CACHE_SECONDS = 300
# How a sentence names the gazetteer's places beyond the fifty states ("plus the District
# of Columbia and Puerto Rico"), article included where the language wants one.
PLACES_BEYOND_THE_STATES = {
    "DC": gettext_lazy("the District of Columbia"),
    "PR": gettext_lazy("Puerto Rico"),
    "GU": gettext_lazy("Guam"),
    "VI": gettext_lazy("the U.S. Virgin Islands"),
    "AS": gettext_lazy("American Samoa"),
    "MP": gettext_lazy("the Northern Mariana Islands"),
}
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
    """Headline figures for the home page: qualifying specialists, institutes, the states
    (of the fifty) where at least one practises, and the District of Columbia and
    territories where one does, by name in the active language (the figures are cached,
    the words are not)."""
    key = "directory-summary-v3"
    summary = cache.get(key)
    if summary is None:
        qualifying = Specialist.objects.qualifying()
        places = set(qualifying.order_by().values_list("state", flat=True).distinct())
        summary = {
            "specialists": qualifying.count(),
            "states": len(places & STATES.keys()),
            "also": [code for code in DISTRICT_AND_TERRITORIES if code in places],
            "institutes": Institute.objects.filter(active=True)
            .filter(Exists(qualifying.filter(institute=OuterRef("pk"))))
            .count(),
        }
        cache.set(key, summary, AVAILABILITY_CACHE_SECONDS)
    return {
        **summary,
        "also": joined_with_and([str(PLACES_BEYOND_THE_STATES[code]) for code in summary["also"]]),
    }
