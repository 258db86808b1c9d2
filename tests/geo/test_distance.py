import math
import random

import pytest

from geo.distance import (
    angle_to_chord,
    convert,
    great_circle_distance,
    great_circle_distances,
    rounded,
    unit_vector,
    unit_vectors,
)
from geo.gazetteer import zip_place


def test_adak_and_96507_are_174_miles_apart_across_the_180th_meridian():
    adak, other = zip_place("99546"), zip_place("96507")
    there = great_circle_distance(adak.latitude, adak.longitude, other.latitude, other.longitude)
    back = great_circle_distance(other.latitude, other.longitude, adak.latitude, adak.longitude)
    assert rounded(there) == rounded(back) == 173.8


def test_kilometres_and_miles_agree():
    miles = great_circle_distance(40.7484, -73.9967, 34.0522, -118.2437)
    km = great_circle_distance(40.7484, -73.9967, 34.0522, -118.2437, unit="km")
    assert 2440 < miles < 2460
    assert km == pytest.approx(convert(miles, from_unit="mi", to_unit="km"))
    assert km / miles == pytest.approx(1.609344, rel=1e-4)


def test_a_quarter_of_the_globe_and_the_poles():
    assert great_circle_distance(0, 0, 0, 90, unit="km") == pytest.approx(math.pi / 2 * 6371.0088)
    assert great_circle_distance(90, 0, 90, 123) == pytest.approx(0, abs=1e-9)
    assert great_circle_distance(89.9, 0, 89.9, 180) == pytest.approx(
        great_circle_distance(0, 0, 0.2, 0)
    )


def test_rounding_to_a_tenth():
    assert rounded(0.04) == 0.0
    assert rounded(12.34) == 12.3
    assert rounded(12.36) == 12.4


def test_chord_of_the_unit_vectors_matches_the_angle():
    a, b = unit_vectors([51.8549, 51.5672], [-177.0888, 178.8775])
    angle = great_circle_distance(51.8549, -177.0888, 51.5672, 178.8775) / 3958.7613
    assert math.dist(a, b) == pytest.approx(angle_to_chord(angle), rel=1e-12)
    assert angle_to_chord(4.0) == 2.0


def test_distances_from_one_point_equal_the_single_distance_to_the_last_bit():
    rng = random.Random(7)
    for unit in ("mi", "km"):
        origin = (rng.uniform(-90, 90), rng.uniform(-180, 180))
        points = [(rng.uniform(-90, 90), rng.uniform(-180, 180)) for _ in range(2000)]
        points += [(origin[0], origin[1]), (-origin[0], origin[1] + 180), (90.0, 0.0)]
        latitudes, longitudes = zip(*points, strict=True)
        assert great_circle_distances(*origin, latitudes, longitudes, unit=unit) == [
            great_circle_distance(*origin, latitude, longitude, unit=unit)
            for latitude, longitude in points
        ]


def test_one_unit_vector_is_the_array_version_within_rounding():
    rng = random.Random(11)
    for _ in range(1000):
        latitude, longitude = rng.uniform(-90, 90), rng.uniform(-180, 180)
        assert unit_vector(latitude, longitude) == pytest.approx(
            unit_vectors([latitude], [longitude])[0], rel=1e-15, abs=1e-15
        )
