"""The results map: an SVG the server draws from us-atlas's state outlines, with numbered
markers where the specialists on the page practise. Nothing is fetched from anywhere else,
the page works without JavaScript, and the list stays the primary content: the map is a
complement (an image with a text alternative), and places the US composite projection
leaves out (Puerto Rico, Guam and the other territories) are listed beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.utils.translation import gettext, ngettext

from geo.atlas import state_outlines
from geo.distance import EARTH_RADIUS
from geo.gazetteer import ZipPlace
from geo.projection import albers_usa

# The view keeps the screen's proportions and never shows less than about 180 miles
# across, so a search in one town still shows where it is.
ASPECT = 1.6
MIN_WIDTH = 60.0
PADDING = 0.3
ATLAS_BOX = (-60.0, 10.0, 960.0, 612.0)
# Markers and labels as fractions of the view's width, so they read the same at any zoom.
MARKER_RADIUS = 0.022
# Markers closer than this (in marker radii) are drawn as one, labelled with every number.
MERGE_DISTANCE = 1.2


@dataclass
class Marker:
    """A numbered marker: a circle, or a pill wide enough for several numbers."""

    x: float
    y: float
    numbers: list[int] = field(default_factory=list)
    radius: float = 1.0

    @property
    def label(self) -> str:
        numbers = self.numbers
        if len(numbers) > 3:
            return f"{numbers[0]}–{numbers[-1]}" if _consecutive(numbers) else f"{numbers[0]}+"
        return ",".join(str(number) for number in numbers)

    @property
    def width(self) -> float:
        return round(max(2.0, 0.62 * len(self.label) + 0.8) * self.radius, 2)

    @property
    def left(self) -> float:
        return round(self.x - self.width / 2, 2)

    @property
    def top(self) -> float:
        return round(self.y - self.radius, 2)

    @property
    def height(self) -> float:
        return round(2 * self.radius, 2)

    @property
    def is_pill(self) -> bool:
        return len(self.numbers) > 1


def _consecutive(numbers: list[int]) -> bool:
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


@dataclass
class ResultsMap:
    view_box: str
    states: list[str]
    markers: list[Marker]
    origin: tuple[float, float]
    radius: float
    marker_radius: float
    # (number, listing) of the results the projection leaves out.
    off_map: list[tuple[int, object]]
    description: str

    @property
    def font_size(self) -> float:
        return round(self.marker_radius * 1.15, 2)

    @property
    def stroke(self) -> float:
        return round(self.marker_radius * 0.18, 3)

    @property
    def origin_dot(self) -> float:
        return round(self.marker_radius / 3, 2)


def results_map(
    *, origin: ZipPlace, radius_miles: float, results: list[tuple[int, object]]
) -> ResultsMap | None:
    """The map of ``results`` ((number on the card, a listing with latitude, longitude,
    city and state)) around ``origin``; None when there is nothing to draw: no outlines
    installed, or neither the origin nor any result on the projection."""
    outlines = state_outlines()
    if not outlines:
        return None
    placed, off_map = [], []
    for number, listing in results:
        point = albers_usa(listing.latitude, listing.longitude)
        if point is None:
            off_map.append((number, listing))
        else:
            placed.append((number, point))
    centre = albers_usa(origin.latitude, origin.longitude)
    if centre is None and not placed:
        return None
    points = [point for _, point in placed] + ([centre] if centre else [])
    box = _view(points)
    unit = (box[2] - box[0]) * MARKER_RADIUS
    markers = _markers(placed, merge=unit * MERGE_DISTANCE * 2, radius=round(unit, 2))
    x0, y0, x1, y1 = box
    return ResultsMap(
        view_box=f"{x0:.1f} {y0:.1f} {x1 - x0:.1f} {y1 - y0:.1f}",
        states=[outline.path for outline in outlines if outline.overlaps(box)],
        markers=markers,
        origin=(round(centre[0], 2), round(centre[1], 2)) if centre else None,
        radius=_radius_on_map(origin, radius_miles, centre) if centre else 0,
        marker_radius=round(unit, 2),
        off_map=off_map,
        description=_description(origin, [number for number, _ in placed], off_map),
    )


def _view(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    """A box around ``points`` with room for markers, in the map's proportions, inside the
    atlas where it can be."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    width = max(max(xs) - min(xs), MIN_WIDTH)
    height = max(max(ys) - min(ys), MIN_WIDTH / ASPECT)
    width, height = width * (1 + 2 * PADDING), height * (1 + 2 * PADDING)
    width, height = max(width, height * ASPECT), max(height, width / ASPECT)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    x0, y0 = cx - width / 2, cy - height / 2
    ax0, ay0, ax1, ay1 = ATLAS_BOX
    if width <= ax1 - ax0:
        x0 = min(max(x0, ax0), ax1 - width)
    if height <= ay1 - ay0:
        y0 = min(max(y0, ay0), ay1 - height)
    return x0, y0, x0 + width, y0 + height


def _markers(placed, *, merge: float, radius: float) -> list[Marker]:
    """One marker per place; results practising at (nearly) the same spot share one."""
    markers: list[Marker] = []
    for number, (x, y) in placed:
        near = next((m for m in markers if math.hypot(m.x - x, m.y - y) < merge), None)
        if near is None:
            markers.append(Marker(round(x, 2), round(y, 2), [number], radius))
        else:
            near.numbers.append(number)
    return markers


def _radius_on_map(origin: ZipPlace, radius_miles: float, centre) -> float:
    """The searched radius in map units: the projection's scale where the origin is."""
    north = min(origin.latitude + math.degrees(radius_miles / EARTH_RADIUS["mi"]), 89.9)
    edge = albers_usa(north, origin.longitude)
    if edge is None:
        return 0
    return round(math.hypot(edge[0] - centre[0], edge[1] - centre[1]), 2)


def _description(origin: ZipPlace, numbers: list[int], off_map) -> str:
    where = f"{origin.city}, {origin.state}"
    if not numbers:
        return gettext("Map around %(place)s.") % {"place": where}
    text = ngettext(
        "Map of %(place)s and the surrounding states, with marker %(numbers)s showing where "
        "that specialist practises.",
        "Map of %(place)s and the surrounding states, with markers %(numbers)s showing where "
        "those specialists practise.",
        len(numbers),
    ) % {"place": where, "numbers": ", ".join(str(n) for n in numbers)}
    if off_map:
        text += " " + gettext("Places the map cannot show are listed below it.")
    return text
