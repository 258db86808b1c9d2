"""d3's ``geoAlbersUsa`` in Python, at the scale and offset ``us-atlas`` drew its projected
maps with (``scale(1300).translate([487.5, 305])``, a 975 x 610 view): the lower 48 states
in a conic equal-area projection, Alaska shrunk and Hawaii moved into insets at the bottom
left. A point the composite does not show (Puerto Rico, Guam and the other territories) has
no position, exactly as in d3, so markers land on the same states the map draws.
"""

from __future__ import annotations

import math

SCALE = 1300.0
TRANSLATE = (487.5, 305.0)
WIDTH, HEIGHT = 975, 610
_EPSILON = 1e-6


class _ConicEqualArea:
    """d3's conicEqualArea with a rotation, a centre, parallels, a scale and a translation,
    and the rectangle of the view it is clipped to. Its constants are computed once, not
    for every point (the results map projects a dozen points a search), by d3's own
    operations, so the same floats."""

    def __init__(
        self,
        *,
        rotate: float,
        center: tuple[float, float],
        parallels: tuple[float, float],
        scale: float,
        translate: tuple[float, float],
        clip: tuple[float, float, float, float],
    ):
        sy0 = math.sin(math.radians(parallels[0]))
        self._n = (sy0 + math.sin(math.radians(parallels[1]))) / 2
        self._c = 1 + sy0 * (2 * self._n - sy0)
        self._r0 = math.sqrt(self._c) / self._n
        self._centre = self._raw(math.radians(center[0]), math.radians(center[1]))
        self._rotation = math.radians(rotate)
        self.scale = scale
        self.translate = translate
        self.clip = clip

    def _raw(self, lam: float, phi: float) -> tuple[float, float]:
        n = self._n
        r = math.sqrt(self._c - 2 * n * math.sin(phi)) / n
        lam *= n
        return r * math.sin(lam), self._r0 - r * math.cos(lam)

    def __call__(self, latitude: float, longitude: float) -> tuple[float, float] | None:
        cx, cy = self._centre
        lam = math.radians(longitude) + self._rotation
        if lam > math.pi:
            lam -= 2 * math.pi
        elif lam < -math.pi:
            lam += 2 * math.pi
        x, y = self._raw(lam, math.radians(latitude))
        k = self.scale
        px = self.translate[0] + k * (x - cx)
        py = self.translate[1] - k * (y - cy)
        x0, y0, x1, y1 = self.clip
        if x0 <= px <= x1 and y0 <= py <= y1:
            return px, py
        return None


def _composite(k: float, x: float, y: float) -> tuple[_ConicEqualArea, ...]:
    """The three projections and their clip rectangles, as d3's albersUsa.translate sets
    them up."""
    e = _EPSILON
    lower48 = _ConicEqualArea(
        rotate=96,
        center=(-0.6, 38.7),
        parallels=(29.5, 45.5),
        scale=k,
        translate=(x, y),
        clip=(x - 0.455 * k, y - 0.238 * k, x + 0.455 * k, y + 0.238 * k),
    )
    alaska = _ConicEqualArea(
        rotate=154,
        center=(-2, 58.5),
        parallels=(55, 65),
        scale=k * 0.35,
        translate=(x - 0.307 * k, y + 0.201 * k),
        clip=(x - 0.425 * k + e, y + 0.120 * k + e, x - 0.214 * k - e, y + 0.234 * k - e),
    )
    hawaii = _ConicEqualArea(
        rotate=157,
        center=(-3, 19.9),
        parallels=(8, 18),
        scale=k,
        translate=(x - 0.205 * k, y + 0.212 * k),
        clip=(x - 0.214 * k + e, y + 0.166 * k + e, x - 0.115 * k - e, y + 0.234 * k - e),
    )
    return lower48, alaska, hawaii


_PROJECTIONS = _composite(SCALE, *TRANSLATE)


def albers_usa(latitude: float, longitude: float) -> tuple[float, float] | None:
    """Where a point lands on us-atlas's projected maps (x right, y down), or None when the
    composite projection leaves it out."""
    for projection in _PROJECTIONS:
        point = projection(latitude, longitude)
        if point is not None:
            return point
    return None
