"""The map's city labels, found over arrays, are the ones the plain scan finds."""

import random

from geo.gazetteer import cities
from geo.projection import albers_usa
from pages.maps import CITY_LABELS, Label, _labels


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def scanned_labels(box, size, *, avoid):
    """The labels as a scan of every city in size order finds them (the rule itself)."""
    x0, y0, x1, y1 = box
    taken = [(x - r, y - r, x + r, y + r) for x, y, r in avoid]
    labels = []
    for city in cities():
        point = albers_usa(city.latitude, city.longitude)
        if point is None:
            continue
        if len(labels) == CITY_LABELS:
            break
        (x, y), name = point, city.name
        half = 0.3 * size * len(name)
        rect = (x - half, y - size * 1.3, x + half, y + size * 0.2)
        inside = x0 <= rect[0] and rect[2] <= x1 and y0 <= rect[1] and rect[3] <= y1
        if inside and not any(_overlap(rect, other) for other in taken):
            taken.append(rect)
            labels.append(Label(round(x, 2), round(y - size * 0.35, 2), name))
    return labels


def test_labels_match_the_scan_over_every_city_on_random_views():
    rng = random.Random(7)
    for _ in range(300):
        width = rng.choice([9.0, 20.0, 80.0, 300.0, 1000.0]) * rng.uniform(1, 1.5)
        x0, y0 = rng.uniform(-60, 900), rng.uniform(10, 600)
        box = (x0, y0, x0 + width, y0 + width / 1.6)
        size = round(width * 0.03, 2)
        avoid = [
            (rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3]), width * 0.026)
            for _ in range(rng.randint(0, 10))
        ]
        assert _labels(box, size, avoid=avoid) == scanned_labels(box, size, avoid=avoid)


def test_a_label_touching_the_views_sides_is_found_as_the_scan_finds_it():
    # The labels are looked for in the strip of cities whose x lies in the view: a city
    # whose label starts or ends exactly on the view's side is still in it.
    rng = random.Random(11)
    for city in cities()[:300:7]:
        point = albers_usa(city.latitude, city.longitude)
        if point is None:
            continue
        x, y = point
        width = rng.choice([9.0, 20.0, 80.0])
        size = round(width * 0.03, 2)
        half = 0.3 * size * len(city.name)
        top = y - size * 1.3 - rng.uniform(0, 1)
        for box in (
            (x - half, top, x - half + width, top + width / 1.6),
            (x + half - width, top, x + half, top + width / 1.6),
        ):
            assert _labels(box, size, avoid=[]) == scanned_labels(box, size, avoid=[])
