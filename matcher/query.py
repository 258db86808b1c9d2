"""A search, as one value: where from, for which treatment, how far, in which unit, how many.

``MatchQuerySerializer`` (matcher.apis) is the one parser that builds it from a client's
parameters; lead routing builds its own. The defaults and bounds here are the contract's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from geo.distance import DEFAULT_UNIT
from geo.gazetteer import ZipPlace
from specialists.models import Treatment

DEFAULT_RADIUS = 50
MAX_RADIUS = 500
DEFAULT_LIMIT = 10
MAX_LIMIT = 50


@dataclass(frozen=True, slots=True)
class MatchQuery:
    """``radius=None`` searches without a bound (the nearest beyond an empty radius)."""

    origin: ZipPlace
    treatment: Treatment | None = None
    radius: float | None = DEFAULT_RADIUS
    unit: str = DEFAULT_UNIT
    limit: int = DEFAULT_LIMIT

    @property
    def treatment_id(self) -> int | None:
        return None if self.treatment is None else self.treatment.pk

    def unbounded(self, *, limit: int = 1) -> MatchQuery:
        """The same search at any distance: what an empty answer offers instead."""
        return replace(self, radius=None, limit=limit)

    def with_limit(self, limit: int) -> MatchQuery:
        return replace(self, limit=limit)
