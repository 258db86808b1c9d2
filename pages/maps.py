"""The results map: an SVG the server draws from us-atlas's state outlines, with numbered
markers where the specialists on the page practise. Nothing is fetched from anywhere else,
the page works without JavaScript, and the list stays the primary content: the map is a
complement (an image with a text alternative), and places the US composite projection
leaves out (Puerto Rico, Guam and the other territories) are listed beside it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from html import escape

import numpy as np
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, gettext_noop, ngettext

from geo.atlas import state_outlines
from geo.distance import EARTH_RADIUS
from geo.gazetteer import ZipPlace, city_table
from geo.projection import albers_usa

# The view keeps the screen's proportions and never shows less than about 180 miles
# across, so a search in one town still shows where it is.
ASPECT = 1.6
MIN_WIDTH = 9.0
PADDING = 0.25
ATLAS_BOX = (-60.0, 10.0, 960.0, 612.0)
# Markers and labels as fractions of the view's width, so they read the same at any zoom.
MARKER_RADIUS = 0.026
# Place names for orientation: the largest cities in view, never overlapping.
CITY_LABELS = 7
LABEL_SIZE = 0.03
SCALE_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class ScaleBar:
    x: float
    y: float
    length: float
    miles: int


class Marker:
    """A numbered marker: a circle, or a pill wide enough for several numbers. Its label
    and width are worked out as numbers join, since grouping and drawing read them often."""

    __slots__ = ("label", "numbers", "radius", "width", "x", "y")

    def __init__(self, x: float, y: float, numbers: list[int], radius: float = 1.0):
        self.x, self.y, self.radius = x, y, radius
        self.numbers: list[int] = []
        for number in numbers:
            self.add(number)

    def add(self, number: int) -> None:
        numbers = self.numbers
        numbers.append(number)
        if len(numbers) > 3:
            label = f"{numbers[0]}–{numbers[-1]}" if _consecutive(numbers) else f"{numbers[0]}+"
        else:
            label = ",".join([str(number) for number in numbers])
        self.label = label
        self.width = round(max(2.0, 0.62 * len(label) + 0.8) * self.radius, 2)

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
    labels: list[Label] = field(default_factory=list)
    label_size: float = 1.0
    scale: ScaleBar | None = None

    @property
    def labels_svg(self) -> SafeString:
        """The city labels as ``includes/results_map.html`` wrote them in a loop (numbers
        unlocalised, as under ``localize off``)."""
        return mark_safe(
            "".join(
                f'<text x="{label.x}" y="{label.y}">{escape(label.text)}</text>'
                for label in self.labels
            )
        )

    @property
    def markers_svg(self) -> SafeString:
        """The numbered markers as ``includes/results_map.html`` wrote them in a loop."""
        stroke, font_size = self.stroke, self.font_size
        parts = []
        for marker in self.markers:
            if marker.is_pill:
                shape = (
                    f'<rect x="{marker.left}" y="{marker.top}" width="{marker.width}" '
                    f'height="{marker.height}" rx="{marker.radius}" stroke-width="{stroke}"/>'
                    "\n      "
                )
            else:
                shape = (
                    f'<circle cx="{marker.x}" cy="{marker.y}" r="{self.marker_radius}" '
                    f'stroke-width="{stroke}"/>'
                )
            parts.append(
                f'<g class="map-marker">\n      {shape}\n      <text x="{marker.x}" '
                f'y="{marker.y}" font-size="{font_size}" text-anchor="middle" '
                f'dominant-baseline="central">{escape(marker.label)}</text>\n    </g>'
            )
        return mark_safe("".join(parts))

    @property
    def html(self) -> SafeString:
        """The whole figure, as ``includes/results_map.html`` wrote it (its numbers under
        ``localize off``, the caption's localised): that template took a sixth of the
        page's rendering."""
        scale = self.scale
        scale_svg = (
            f'<g class="map-scale" font-size="{self.label_size}"><path d="M{scale.x},{scale.y}'
            f'h{scale.length}" vector-effect="non-scaling-stroke"/><text x="{scale.x}" '
            f'y="{scale.y}" dy="-0.5em">'
            + ngettext("%(miles)s mile", "%(miles)s miles", scale.miles) % {"miles": scale.miles}
            + "</text></g>"
            if scale
            else ""
        )
        origin_svg = ""
        if self.origin:
            x, y = self.origin
            radius = (
                f'<circle class="map-radius" cx="{x}" cy="{y}" r="{self.radius}" '
                'vector-effect="non-scaling-stroke"/>'
                if self.radius
                else ""
            )
            origin_svg = (
                f"\n    {radius}\n"
                f'    <circle class="map-origin" cx="{x}" cy="{y}" r="{self.marker_radius}" '
                f'stroke-width="{self.stroke}"/>\n'
                f'    <circle class="map-origin-dot" cx="{x}" cy="{y}" r="{self.origin_dot}"/>\n'
                "    "
            )
        words = _words()
        origin_key = ""
        if self.origin:
            chosen = f", {words['chosen']}" if self.radius else ""
            origin_key = (
                '<span class="map-key"><span class="key-origin" aria-hidden="true"></span> '
                f"{words['origin']}{chosen}.</span>"
            )
        off_map = ""
        if self.off_map:
            listed = "; ".join(
                f"{escape(localize(number))}. {escape(listing.display_name)} "
                f"({escape(listing.city)}, {escape(listing.state)})"
                for number, listing in self.off_map
            )
            off_map = f'<span class="map-off">{words["off_map"]} {listed}</span>'
        return mark_safe(
            '<figure class="results-map">\n'
            f'  <svg viewBox="{escape(self.view_box)}" role="img" '
            'aria-labelledby="map-title map-desc" preserveAspectRatio="xMidYMid meet" '
            'focusable="false">\n'
            f'    <title id="map-title">{words["title"]}</title>\n'
            f'    <desc id="map-desc">{escape(self.description)}</desc>\n'
            '    <rect class="map-sea" x="-1000" y="-1000" width="3000" height="3000"/>\n'
            f'    <g class="map-states">{_states_svg(self.states)}</g>\n'
            f'    <g class="map-labels" font-size="{self.label_size}" text-anchor="middle">'
            f"{self.labels_svg}</g>\n"
            f"    {scale_svg}\n"
            f"    {origin_svg}\n"
            f"    {self.markers_svg}\n"
            "  </svg>\n"
            "  <figcaption>\n"
            '    <span class="map-key"><span class="key-marker" aria-hidden="true">1</span> '
            f"{words['numbers']}</span>\n"
            f"    {origin_key}\n"
            f"    {off_map}\n"
            "  </figcaption>\n"
            "</figure>\n"
        )

    @property
    def font_size(self) -> float:
        return round(self.marker_radius * 1.15, 2)

    @property
    def stroke(self) -> float:
        return round(self.marker_radius * 0.18, 3)

    @property
    def origin_dot(self) -> float:
        return round(self.marker_radius / 3, 2)


_words_by_language: dict[str, dict[str, str]] = {}


def _words() -> dict[str, str]:
    """The map's fixed words in the active language, escaped: translated once per
    language rather than on every search."""
    language = get_language()
    words = _words_by_language.get(language)
    if words is None:
        words = _words_by_language[language] = {
            name: escape(gettext(message))
            for name, message in (
                ("title", gettext_noop("Map of the specialists on this page")),
                ("origin", gettext_noop("Where you searched from")),
                ("chosen", gettext_noop("with the distance you chose")),
                ("off_map", gettext_noop("Not on the map:")),
                ("numbers", gettext_noop("Numbers match the list below.")),
            )
        }
    return words


# The states' outlines a view shows, written out: the same few sets recur from search to
# search, and writing one is as long as the rest of the map.
_STATES_KEPT = 500
_states_written: dict[tuple[str, ...], str] = {}


def _states_svg(states: list[str]) -> str:
    key = tuple(states)
    written = _states_written.get(key)
    if written is None:
        written = "".join(
            f'<path d="{escape(path)}" vector-effect="non-scaling-stroke"/>' for path in states
        )
        if len(_states_written) >= _STATES_KEPT:
            _states_written.clear()
        _states_written[key] = written
    return written


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
    width = box[2] - box[0]
    unit = width * MARKER_RADIUS
    markers = _markers(placed, radius=round(unit, 2))
    per_mile = _units_per_mile(origin, centre) if centre else 0
    label_size = round(width * LABEL_SIZE, 2)
    x0, y0, x1, y1 = box
    return ResultsMap(
        view_box=f"{x0:.1f} {y0:.1f} {x1 - x0:.1f} {y1 - y0:.1f}",
        states=_states_in(outlines, box),
        markers=markers,
        origin=(round(centre[0], 2), round(centre[1], 2)) if centre else None,
        radius=round(radius_miles * per_mile, 2),
        marker_radius=round(unit, 2),
        off_map=off_map,
        description=_description(origin, [number for number, _ in placed], off_map),
        labels=_labels(box, label_size, avoid=[(m.x, m.y, m.width / 2) for m in markers]),
        label_size=label_size,
        scale=_scale_bar(box, per_mile),
    )


# The outlines' bounding boxes as four columns (x0, y0, x1, y1), for the outlines they
# were made from.
_outline_boxes: tuple[tuple, np.ndarray] = ((), np.empty((4, 0)))


def _states_in(outlines: tuple, box) -> list[str]:
    """The paths of the outlines whose bounding boxes meet ``box``, all compared at once."""
    global _outline_boxes
    if _outline_boxes[0] is not outlines:
        _outline_boxes = (outlines, np.array([outline.bbox for outline in outlines]).T.copy())
    x0, y0, x1, y1 = _outline_boxes[1]
    meets = (x0 <= box[2]) & (box[0] <= x1) & (y0 <= box[3]) & (box[1] <= y1)
    return [outlines[position].path for position in np.flatnonzero(meets).tolist()]


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


def _markers(placed, *, radius: float) -> list[Marker]:
    """One marker per place; a result whose marker would cover part of another's joins it,
    so every number stays readable."""
    markers: list[Marker] = []
    for number, (x, y) in placed:
        for marker in markers:
            if abs(marker.x - x) < marker.width / 2 + radius and abs(marker.y - y) < 2 * radius:
                marker.add(number)
                break
        else:
            markers.append(Marker(round(x, 2), round(y, 2), [number], radius))
    return markers


def _units_per_mile(origin: ZipPlace, centre) -> float:
    """The projection's scale where the origin is, from a point ten miles north of it."""
    north = origin.latitude + math.degrees(10 / EARTH_RADIUS["mi"])
    edge = albers_usa(north, origin.longitude)
    if edge is None:
        return 0
    return math.hypot(edge[0] - centre[0], edge[1] - centre[1]) / 10


@dataclass(frozen=True)
class _Cities:
    """The cities the projection shows, largest first: their rows in the gazetteer's city
    table and projected coordinates."""

    rows: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    lengths: np.ndarray
    # Positions in the arrays above ordered by x, and those xs: a view's strip of cities
    # is found by bisection instead of by comparing every city.
    by_x: np.ndarray
    sorted_xs: np.ndarray
    # ys and lengths in the same order as sorted_xs, so a strip's are slices.
    sorted_ys: np.ndarray
    sorted_lengths: np.ndarray


@functools.cache
def _projected_cities() -> _Cities:
    table = city_table()
    rows, xs, ys = [], [], []
    for row, (latitude, longitude) in enumerate(
        zip(table.latitudes.tolist(), table.longitudes.tolist(), strict=True)
    ):
        point = albers_usa(latitude, longitude)
        if point is not None:
            rows.append(row)
            xs.append(point[0])
            ys.append(point[1])
    rows = np.array(rows, dtype=np.int64)
    xs, ys = np.array(xs), np.array(ys)
    lengths = table.name_lengths[rows].astype(np.float64)
    by_x = np.argsort(xs, kind="stable")
    return _Cities(
        rows=rows,
        xs=xs,
        ys=ys,
        lengths=lengths,
        by_x=by_x,
        sorted_xs=xs[by_x],
        sorted_ys=ys[by_x],
        sorted_lengths=lengths[by_x],
    )


def _labels(box, size: float, *, avoid: list[tuple[float, float, float]]) -> list[Label]:
    """Up to CITY_LABELS names of the largest cities in view, none overlapping another or
    a marker; each sits just above its city's middle."""
    x0, y0, x1, y1 = box
    taken = [(x - r, y - r, x + r, y + r) for x, y, r in avoid]
    labels = []
    known = _projected_cities()
    # Cities whose label fits the view, found at once (with a hair of slack) among those
    # whose x lies in the view's strip, which every such label's city does (half a label
    # is never negative); each is then checked exactly, in size order, as before.
    slack = 1e-9 * max(1.0, abs(x0), abs(x1), abs(y0), abs(y1))
    left, right = x0 - slack, x1 + slack
    start = int(np.searchsorted(known.sorted_xs, left, side="left"))
    stop = int(np.searchsorted(known.sorted_xs, right, side="right"))
    xs, ys = known.sorted_xs[start:stop], known.sorted_ys[start:stop]
    half = 0.3 * size * known.sorted_lengths[start:stop]
    fits = (
        (xs - half >= left)
        & (xs + half <= right)
        & (ys - size * 1.3 >= y0 - slack)
        & (ys + size * 0.2 <= y1 + slack)
    )
    table = city_table()
    candidates = np.sort(known.by_x[start:stop][fits])
    xs, ys = known.xs[candidates], known.ys[candidates]
    # A name is looked up only for a label placed: most candidates meet one already there.
    for position, x, y, length in zip(
        candidates.tolist(),
        xs.tolist(),
        ys.tolist(),
        known.lengths[candidates].tolist(),
        strict=True,
    ):
        if len(labels) == CITY_LABELS:
            break
        half = 0.3 * size * length
        rect = (x - half, y - size * 1.3, x + half, y + size * 0.2)
        inside = x0 <= rect[0] and rect[2] <= x1 and y0 <= rect[1] and rect[3] <= y1
        if inside and not _overlaps_any(rect, taken):
            taken.append(rect)
            name = table.name(int(known.rows[position]))
            labels.append(Label(round(x, 2), round(y - size * 0.35, 2), name))
    return labels


def _overlaps_any(rect, others) -> bool:
    left, top, right, bottom = rect
    for other in others:
        if left < other[2] and other[0] < right and top < other[3] and other[1] < bottom:
            return True
    return False


def _scale_bar(box, per_mile: float) -> ScaleBar | None:
    """A bar of a round number of miles, about a fifth of the view wide, at bottom left."""
    if not per_mile:
        return None
    width = box[2] - box[0]
    miles = next((m for m in reversed(SCALE_STEPS) if m * per_mile <= width / 4), None)
    if miles is None:
        return None
    margin = width * 0.04
    return ScaleBar(
        x=round(box[0] + margin, 2),
        y=round(box[3] - margin, 2),
        length=round(miles * per_mile, 2),
        miles=miles,
    )


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
