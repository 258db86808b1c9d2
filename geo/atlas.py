"""US state outlines for maps drawn by the site itself, from the ``us-atlas`` npm package
(ISC licence, Census Bureau cartographic boundaries): ``states-albers-10m.json``, already
projected with d3's geoAlbersUsa into a 975 x 610 view, which ``geo.projection`` reproduces
for markers.

``npm ci`` (run by ``make install``) puts the file under ``node_modules/``; the path can be
moved with the US_ATLAS_FILE setting. Without it there are no outlines (a system check warns)
and callers leave the map out.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

DEFAULT_ATLAS_FILE = (
    Path(__file__).resolve().parent.parent / "node_modules" / "us-atlas" / "states-albers-10m.json"
)


@dataclass(frozen=True)
class StateOutline:
    """One state (or DC) in the projected view: its name, bounding box and SVG path."""

    fips: str
    name: str
    bbox: tuple[float, float, float, float]
    path: str


def atlas_file() -> Path:
    return Path(getattr(settings, "US_ATLAS_FILE", DEFAULT_ATLAS_FILE))


@functools.cache
def state_outlines() -> tuple[StateOutline, ...]:
    """Every state's outline, read and decoded once per process; () without the file."""
    path = atlas_file()
    if not path.is_file():
        return ()
    topology = json.loads(path.read_text(encoding="utf-8"))
    arcs = _arcs(topology)
    outlines = []
    for geometry in topology["objects"]["states"]["geometries"]:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = [_ring(arcs, ring) for polygon in polygons for ring in polygon]
        xs = [x for ring in rings for x, _ in ring]
        ys = [y for ring in rings for _, y in ring]
        outlines.append(
            StateOutline(
                fips=str(geometry["id"]),
                name=geometry["properties"]["name"],
                bbox=(min(xs), min(ys), max(xs), max(ys)),
                path="".join(_svg_ring(ring) for ring in rings),
            )
        )
    return tuple(outlines)


def _arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON's quantized, delta-encoded arcs as absolute view coordinates."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def _ring(arcs, indexes: list[int]) -> list[tuple[float, float]]:
    """A ring from its arcs; ``~i`` is arc ``i`` reversed, and each arc after the first
    starts where the previous one ended."""
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def _svg_ring(points: list[tuple[float, float]]) -> str:
    """A closed SVG subpath to a tenth of a unit, dropping points that round together."""
    shown: list[str] = []
    for x, y in points:
        point = f"{x:.1f},{y:.1f}"
        if not shown or shown[-1] != point:
            shown.append(point)
    return "M" + "L".join(shown) + "Z"
