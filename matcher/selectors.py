"""Nearest qualifying specialists and institutes: the one search the API, the pages and
lead routing share.

Rules callers may rely on:
- only specialists of ``Specialist.objects.qualifying()`` (active, holding a certification
  current today, offering ``treatment`` when given) that have every listing fact the query
  asks for (``MatchQuery.filters``) and, for institutes, active institutes with at least one
  such specialist;
- "within the radius" means an exact great-circle distance (``geo.distance``) at most
  ``radius`` in ``unit``; institutes are measured from their own address;
- nearest first by exact distance; equal distances are ordered by last name, then id
  (institutes: by name, then id). With ``sort="name"``: by last name, first name
  (case-insensitive), then id (institutes: name, then id). ``offset`` skips that many of the
  ordered results; ``total`` counts them all. ``distance`` on the results is rounded to 0.1
  of ``unit``;
- answers reflect every directory change committed more than MATCH_INDEX_RECHECK_SECONDS
  (1 s) ago, and the certifications current on today's date (see ``matcher.index``; after
  a change that named no rows, or a gap in the change log, for as long as the background
  rebuild takes).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import orjson
from django.conf import settings
from django.db import connection

from core.metrics import MATCH_SEARCH_SECONDS
from geo.distance import rounded
from specialists.models import (
    BoardCertification,
    Institute,
    InsurancePlan,
    Specialist,
    Treatment,
)

from .index import DirectoryIndex, Page, directory_index
from .query import MatchQuery
from .tables import CARD_FIELDS

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SpecialistMatch:
    """A specialist loaded with ``with_profile()`` and its rounded distance from the origin
    (None only where a serializer documents a card before it has one)."""

    specialist: Specialist
    distance: float | None


@dataclass(frozen=True, slots=True)
class InstituteMatch:
    """An institute, its distance from the origin and its qualifying specialists' ids,
    nearest to the origin first."""

    institute: Institute
    distance: float
    specialist_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class InstituteCount:
    """An institute, its distance from the origin and how many qualifying specialists it
    has (for a page that shows the number, not the specialists). The institute is its row
    as kept for the snapshot (``_INSTITUTE_FIELDS`` by name) or, when changed since, the
    model instance: the page reads only those fields."""

    institute: Institute | tuple
    distance: float
    specialist_count: int


def treatment_for_search(*, slug: str) -> Treatment | None:
    """The catalog treatment with this slug, or None; no query while the index is fresh."""
    return directory_index().treatments_by_slug.get(slug)


def insurance_for_search(*, slug: str) -> InsurancePlan | None:
    """The catalog insurance plan with this slug, or None; no query while the index is
    fresh."""
    return directory_index().insurance_by_slug.get(slug)


def search_choices() -> dict:
    """What the search's filters can offer right now: the languages qualifying specialists
    speak (ISO 639-1 codes) and the insurance plans in catalog order; no query while the
    index is fresh."""
    index = directory_index()
    return {
        "languages": index.languages_spoken,
        "insurance": sorted(
            index.insurance_by_slug.values(), key=lambda plan: (plan.sort_order, plan.name)
        ),
    }


def _index_arguments(query: MatchQuery) -> dict:
    """The query as the index takes it: coordinates and ids, no model instances."""
    return {
        "latitude": query.origin.latitude,
        "longitude": query.origin.longitude,
        "treatment_id": query.treatment_id,
        "radius": query.radius,
        "unit": query.unit,
        "limit": query.limit,
        "offset": query.offset,
        "sort": query.sort,
        "filters": query.filters,
    }


def _search_page(index: DirectoryIndex, query: MatchQuery, *, count: bool = True) -> Page:
    with MATCH_SEARCH_SECONDS.time():
        page = index.specialists_page(**_index_arguments(query), count=count)
    return Page(
        [(specialist_id, rounded(distance)) for specialist_id, distance in page.found],
        page.total,
    )


def _search(index: DirectoryIndex, query: MatchQuery) -> list[tuple[int, float]]:
    return _search_page(index, query, count=False).found


def specialist_page_ids(query: MatchQuery) -> Page:
    """The query's page as ``(specialist id, rounded distance)`` and the total in the
    radius. No query while the index is fresh (at most one, the directory version's)."""
    return _search_page(directory_index(), query)


def specialist_nearest_ids(query: MatchQuery) -> list[tuple[int, float]]:
    """``(specialist id, rounded distance)`` of the nearest qualifying specialists.

    No query while the index is fresh (at most one, the directory version's).
    """
    return _search(directory_index(), query)


def _specialist_matches(found: list[tuple[int, float]]) -> list[SpecialistMatch]:
    if not found:
        return []
    specialists = Specialist.objects.with_profile().in_bulk([pk for pk, _ in found])
    return [
        SpecialistMatch(specialist=specialists[pk], distance=distance)
        for pk, distance in found
        if pk in specialists
    ]


def specialist_nearest(query: MatchQuery) -> list[SpecialistMatch]:
    """Up to ``query.limit`` qualifying specialists within the radius of the origin.

    Each specialist comes with its certifications (and boards), treatments and institute
    prefetched, in the same number of queries whatever the limit is.
    """
    return _specialist_matches(specialist_nearest_ids(query))


def specialist_search(query: MatchQuery) -> tuple[list[SpecialistMatch], int]:
    """``specialist_nearest``'s page of results and ``total``: how many qualify in all."""
    page = specialist_page_ids(query)
    return _specialist_matches(page.found), page.total


def specialist_nearest_beyond(query: MatchQuery) -> SpecialistMatch | None:
    """The nearest qualifying specialist at any distance, or None when nobody qualifies.

    Meant for an empty search: its distance tells how far to widen the radius.
    """
    matches = specialist_nearest(query.unbounded())
    return matches[0] if matches else None


def specialist_cards(*, ids: list[int]) -> dict[int, dict]:
    """The API's result card (``SpecialistResultSerializer``'s shape, "distance" left None)
    for each id, read from the database in three queries whatever their number: the
    definition of a card, which the index renders from its snapshot without a query (tests
    hold the two equal, byte for byte as the API's renderer writes them).

    Names and URLs come from the model's own methods, and only current certifications (the
    queryset's ``current()``).
    """
    rows = Specialist.objects.filter(pk__in=ids).values(
        "id",
        *CARD_FIELDS,
        "accepting_new_patients",
        "latitude",
        "longitude",
        "institute_id",
        "institute__slug",
        "institute__name",
    )
    certifications: dict[int, list[dict]] = {pk: [] for pk in ids}
    for specialist_id, code, name, expires_on in (
        BoardCertification.objects.current()
        .filter(specialist_id__in=ids)
        .order_by("board__code")
        .values_list("specialist_id", "board__code", "board__name", "expires_on")
    ):
        certifications[specialist_id].append(
            {
                "board": code,
                "board_name": name,
                "expires_on": expires_on and expires_on.isoformat(),
            }
        )
    treatments: dict[int, list[str]] = {pk: [] for pk in ids}
    for specialist_id, slug in (
        Specialist.treatments.through.objects.filter(specialist_id__in=ids)
        .order_by("treatment__sort_order", "treatment__name")
        .values_list("specialist_id", "treatment__slug")
    ):
        treatments[specialist_id].append(slug)

    cards = {}
    for row in rows:
        pk = row["id"]
        person = Specialist(
            first_name=row["first_name"],
            last_name=row["last_name"],
            credentials=row["credentials"],
            slug=row["slug"],
        )
        cards[pk] = {
            "id": pk,
            "slug": row["slug"],
            "npi": row["npi"],
            "name": person.display_name,
            "first_name": row["first_name"],
            "last_name": row["last_name"],
            "credentials": row["credentials"],
            "specialty": row["specialty"],
            "accepting_new_patients": row["accepting_new_patients"],
            "phone": row["phone"],
            "address": {
                "line1": row["address_line1"],
                "line2": row["address_line2"],
                "city": row["city"],
                "state": row["state"],
                "zip": row["zip"],
                "latitude": row["latitude"],
                "longitude": row["longitude"],
            },
            "board_certifications": certifications[pk],
            "treatments": treatments[pk],
            "institute": row["institute_id"]
            and {
                "id": row["institute_id"],
                "slug": row["institute__slug"],
                "name": row["institute__name"],
            },
            "distance": None,
            "url": person.get_absolute_url(),
        }
    return cards


def specialist_nearest_cards(query: MatchQuery) -> list[tuple[dict, float]]:
    """The same search as ``specialist_nearest``, answered with ``(card, distance)``.

    Every qualifying specialist's card (see ``specialist_cards``) is in the index snapshot,
    so a search costs no query (or the directory version's) whatever traffic came before.
    """
    return specialist_search_cards(query, count=False)[0]


def specialist_search_card_bytes(
    query: MatchQuery, *, count: bool = True
) -> tuple[list[tuple[bytes, float]], int]:
    """The page of ``specialist_search_cards`` as ``(card JSON, rounded distance)`` and
    ``total`` (0 without ``count``): each card exactly as the API's JSON renderer writes
    ``specialist_cards``'s dict, UTF-8, with ``"distance":null`` in its place (built in the
    default language, like the cards). No query while the index is fresh."""
    index = directory_index()
    with MATCH_SEARCH_SECONDS.time():
        page = index.specialist_cards_page(**_index_arguments(query), count=count)
    return [(card, rounded(distance)) for card, distance in page.found], page.total


def specialist_search_cards(
    query: MatchQuery, *, count: bool = True
) -> tuple[list[tuple[dict, float]], int]:
    """``specialist_nearest_cards``'s page and ``total`` (0 without ``count``), which
    costs no query either. The cards are fresh dicts, the caller's to change."""
    found, total = specialist_search_card_bytes(query, count=count)
    return [(orjson.loads(card), distance) for card, distance in found], total


@dataclass(frozen=True, slots=True)
class SpecialistListing:
    """A result as the patient pages show it, from the snapshot without a query: the API's
    card (``specialist_cards``'s dict, "distance" None), the rounded distance, and the facts
    the card leaves out."""

    card: dict
    distance: float
    telehealth: bool
    languages: list[str]
    plan_ids: list[int]


def specialist_search_listings(
    query: MatchQuery, *, count: bool = True
) -> tuple[list[SpecialistListing], int]:
    """``specialist_search_cards``'s page as ``SpecialistListing``s and ``total`` (0 without
    ``count``); no query while the index is fresh."""
    index = directory_index()
    with MATCH_SEARCH_SECONDS.time():
        page = index.specialist_listings_page(**_index_arguments(query), count=count)
    return [
        SpecialistListing(orjson.loads(card), rounded(distance), *facts)
        for card, distance, facts in page.found
    ], page.total


# What the API and the pages read of an institute a search found, in the model's field
# order (``Model.from_db`` takes them so).
_INSTITUTE_FIELDS = tuple(
    field.attname
    for field in Institute._meta.concrete_fields
    if field.attname
    in {"id", "slug", "name", "phone", "address_line1", "address_line2", "city", "state", "zip",
        "latitude", "longitude"}
)  # fmt: skip
# Every institute as read for the snapshot's base: valid while the base is (a rebuild
# starts afresh) for every institute its overlay does not hold, the overlay holding each
# one changed since the base; those are read each time. Read one miss at a time instead,
# nearly every search from a new place paid a query (a fifth of /find/'s CPU at 100,000
# specialists under population-weighted traffic). Kept as rows of _INSTITUTE_FIELDS
# (about 0.7 KB each) rather than model instances. A thread reads them after each new
# base (with MATCH_INDEX_BACKGROUND; else the search that needs them does), so no search
# waits for the whole table; until it has, searches read the few they show by id.
_institutes_kept: tuple[object, dict[int, tuple]] = (None, {})
_institutes_lock = threading.Lock()


def _institute_rows() -> dict[int, tuple]:
    # Named, so a page can read a kept row as it reads an instance.
    return {row.id: row for row in Institute.objects.values_list(*_INSTITUTE_FIELDS, named=True)}


def _institutes_fill(base) -> None:
    global _institutes_kept
    try:
        rows = _institute_rows()
    except Exception:
        logger.exception("institutes could not be read for the new base; the next search retries")
        rows = None
    finally:
        connection.close()  # this thread's own
    with _institutes_lock:
        if _institutes_kept[0] is base:
            _institutes_kept = (base, rows) if rows is not None else (None, {})


def _institutes_of(base) -> dict[int, tuple]:
    """The institutes kept for ``base`` (empty while a thread reads them)."""
    global _institutes_kept
    kept_base, kept = _institutes_kept
    if kept_base is base:
        return kept
    if not settings.MATCH_INDEX_BACKGROUND:
        kept = _institute_rows()
        _institutes_kept = (base, kept)
        return kept
    with _institutes_lock:
        if _institutes_kept[0] is not base:
            _institutes_kept = (base, {})
            threading.Thread(
                target=_institutes_fill, args=(base,), name="institutes-read", daemon=True
            ).start()
        return _institutes_kept[1]


def _institutes_read(
    index: DirectoryIndex, ids: list[int], *, models: bool = True
) -> dict[int, Institute | tuple]:
    """The institutes ``ids`` as model instances, or (``models`` False) as their kept rows
    where they have one: building an instance cost a fifth of /find/'s nearby institutes."""
    kept = _institutes_of(index.base)
    # Changed since the base, or not (yet) kept: read now.
    read_now = [pk for pk in ids if pk not in kept or index.overlay.institutes.position(pk) >= 0]
    read = Institute.objects.in_bulk(read_now) if read_now else {}
    found = {}
    for pk in ids:
        if pk in read:
            found[pk] = read[pk]
        elif pk not in read_now:
            row = kept[pk]
            found[pk] = Institute.from_db("default", _INSTITUTE_FIELDS, row) if models else row
    return found


def _institute_matches(index: DirectoryIndex, found, kind=InstituteMatch) -> list:
    if not found:
        return []
    institutes = _institutes_read(
        index, [pk for pk, _, _ in found], models=kind is not InstituteCount
    )
    return [
        kind(institutes[pk], rounded(distance), members)
        for pk, distance, members in found
        if pk in institutes
    ]


def institute_nearest(query: MatchQuery) -> list[InstituteMatch]:
    """Up to ``query.limit`` active institutes with a qualifying specialist, within the
    radius (None: at any distance)."""
    index = directory_index()
    return _institute_matches(index, index.institutes_nearest(**_index_arguments(query)))


def institute_nearest_counted(query: MatchQuery) -> list[InstituteCount]:
    """``institute_nearest``'s institutes, each with the number of its qualifying
    specialists rather than their ids in distance order."""
    index = directory_index()
    found = index.institutes_nearest(**_index_arguments(query), members_counted=True)
    return _institute_matches(index, found, InstituteCount)


def institute_search(query: MatchQuery) -> tuple[list[InstituteMatch], int]:
    """``institute_nearest``'s page and ``total``: how many institutes qualify in all."""
    index = directory_index()
    page = index.institutes_page(**_index_arguments(query))
    return _institute_matches(index, page.found), page.total


def institute_nearest_beyond(query: MatchQuery) -> InstituteMatch | None:
    """The nearest active institute with a qualifying specialist, at any distance."""
    matches = institute_nearest(query.unbounded())
    return matches[0] if matches else None
