"""A search, as one value: where from, for which treatment and listing facts, how far, in
which unit, in which order, which page.

``MatchQuerySerializer`` (matcher.apis) is the one parser that builds it from a client's
parameters; lead routing builds its own. The defaults and bounds here are the contract's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from geo.distance import DEFAULT_UNIT
from geo.gazetteer import ZipPlace
from specialists.models import InsurancePlan, Treatment

from .index import DEFAULT_RADIUS, SORT_DISTANCE, SpecialistFilter

MAX_RADIUS = 500
DEFAULT_LIMIT = 10
MAX_LIMIT = 50
# Deep enough for every result a radius of 500 miles holds in practice; a page that far
# in costs a search of offset + limit points.
MAX_OFFSET = 10_000


@dataclass(frozen=True, slots=True)
class MatchQuery:
    """``radius=None`` searches without a bound (the nearest beyond an empty radius).

    The listing facts narrow the qualifying specialists: ``accepting`` (new patients) and
    ``telehealth`` when True, ``language`` an ISO 639-1 code, ``gender`` a ``Gender`` value,
    ``insurance`` a plan, ``specialty`` a ``SpecialtyGroup`` value; None narrows nothing.
    """

    origin: ZipPlace
    treatment: Treatment | None = None
    radius: float | None = DEFAULT_RADIUS
    unit: str = DEFAULT_UNIT
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort: str = SORT_DISTANCE
    accepting: bool = False
    telehealth: bool = False
    language: str | None = None
    gender: str | None = None
    insurance: InsurancePlan | None = None
    specialty: str | None = None

    @property
    def treatment_id(self) -> int | None:
        return None if self.treatment is None else self.treatment.pk

    @property
    def filters(self) -> SpecialistFilter:
        """The listing facts as the index takes them."""
        return SpecialistFilter(
            accepting=self.accepting,
            telehealth=self.telehealth,
            language=self.language,
            gender=self.gender,
            insurance_id=None if self.insurance is None else self.insurance.pk,
            specialty=self.specialty,
        )

    def unbounded(self, *, limit: int = 1) -> MatchQuery:
        """The same search at any distance, nearest first: what an empty answer offers
        instead."""
        return replace(self, radius=None, limit=limit, offset=0, sort=SORT_DISTANCE)

    def with_limit(self, limit: int) -> MatchQuery:
        return replace(self, limit=limit)
