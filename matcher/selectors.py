"""Nearest qualifying specialists and institutes: the one search the API, the pages and
lead routing share.

Rules callers may rely on:
- only specialists of ``Specialist.objects.qualifying()`` (active, holding a certification
  current today, offering ``treatment`` when given) and, for institutes, active institutes
  with at least one such specialist;
- "within the radius" means an exact great-circle distance (``matcher.distance``) at most
  ``radius`` in ``unit``; institutes are measured from their own address;
- nearest first by exact distance; equal distances are ordered by last name, then id
  (institutes: by name, then id). ``distance`` on the results is rounded to 0.1 of ``unit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from specialists.models import Institute, Specialist, Treatment

from .distance import DEFAULT_UNIT, rounded
from .geocoding import ZipPlace
from .index import directory_index


@dataclass(frozen=True, slots=True)
class SpecialistMatch:
    """A specialist loaded with ``with_profile()`` and its distance from the origin."""

    specialist: Specialist
    distance: float


@dataclass(frozen=True, slots=True)
class InstituteMatch:
    """An institute, its distance from the origin and its qualifying specialists' ids,
    nearest to the origin first."""

    institute: Institute
    distance: float
    specialist_ids: list[int] = field(default_factory=list)


def specialist_nearest_ids(
    *,
    origin: ZipPlace,
    treatment: Treatment | None = None,
    radius: float | None = 50,
    unit: str = DEFAULT_UNIT,
    limit: int = 10,
) -> list[tuple[int, float]]:
    """``(specialist id, rounded distance)`` of the nearest qualifying specialists.

    ``radius=None`` searches without a bound. Costs one query while the index is fresh.
    """
    found = directory_index().specialists_nearest(
        latitude=origin.latitude,
        longitude=origin.longitude,
        treatment_id=None if treatment is None else treatment.pk,
        radius=radius,
        unit=unit,
        limit=limit,
    )
    return [(specialist_id, rounded(distance)) for specialist_id, distance in found]


def _specialist_matches(found: list[tuple[int, float]]) -> list[SpecialistMatch]:
    if not found:
        return []
    specialists = Specialist.objects.with_profile().in_bulk([pk for pk, _ in found])
    return [
        SpecialistMatch(specialist=specialists[pk], distance=distance)
        for pk, distance in found
        if pk in specialists
    ]


def specialist_nearest(
    *,
    origin: ZipPlace,
    treatment: Treatment | None = None,
    radius: float = 50,
    unit: str = DEFAULT_UNIT,
    limit: int = 10,
) -> list[SpecialistMatch]:
    """Up to ``limit`` qualifying specialists within ``radius`` ``unit`` of ``origin``.

    Each specialist comes with its certifications (and boards), treatments and institute
    prefetched, in the same number of queries whatever ``limit`` is.
    """
    return _specialist_matches(
        specialist_nearest_ids(
            origin=origin, treatment=treatment, radius=radius, unit=unit, limit=limit
        )
    )


def specialist_nearest_beyond(
    *,
    origin: ZipPlace,
    treatment: Treatment | None = None,
    unit: str = DEFAULT_UNIT,
) -> SpecialistMatch | None:
    """The nearest qualifying specialist at any distance, or None when nobody qualifies.

    Meant for an empty search: its distance tells how far to widen the radius.
    """
    matches = _specialist_matches(
        specialist_nearest_ids(origin=origin, treatment=treatment, radius=None, unit=unit, limit=1)
    )
    return matches[0] if matches else None


def _institute_matches(found) -> list[InstituteMatch]:
    if not found:
        return []
    institutes = Institute.objects.in_bulk([pk for pk, _, _ in found])
    return [
        InstituteMatch(
            institute=institutes[pk], distance=rounded(distance), specialist_ids=specialist_ids
        )
        for pk, distance, specialist_ids in found
        if pk in institutes
    ]


def institute_nearest(
    *,
    origin: ZipPlace,
    treatment: Treatment | None = None,
    radius: float = 50,
    unit: str = DEFAULT_UNIT,
    limit: int = 10,
) -> list[InstituteMatch]:
    """Up to ``limit`` active institutes with a qualifying specialist, within ``radius``."""
    return _institute_matches(
        directory_index().institutes_nearest(
            latitude=origin.latitude,
            longitude=origin.longitude,
            treatment_id=None if treatment is None else treatment.pk,
            radius=radius,
            unit=unit,
            limit=limit,
        )
    )


def institute_nearest_beyond(
    *,
    origin: ZipPlace,
    treatment: Treatment | None = None,
    unit: str = DEFAULT_UNIT,
) -> InstituteMatch | None:
    """The nearest active institute with a qualifying specialist, at any distance."""
    matches = _institute_matches(
        directory_index().institutes_nearest(
            latitude=origin.latitude,
            longitude=origin.longitude,
            treatment_id=None if treatment is None else treatment.pk,
            radius=None,
            unit=unit,
            limit=1,
        )
    )
    return matches[0] if matches else None
