"""The default search's totals around every ZIP, tabulated by the snapshot build: equal to
counting the database, for every ZIP near the directory and every treatment, a point on
the radius included, and still true after edits; other searches count."""

import math
import random

import pytest

from geo.distance import EARTH_RADIUS, great_circle_distance
from geo.gazetteer import located_zip_places, zip_place
from matcher.index import DEFAULT_RADIUS, directory_index, forget
from specialists.models import Specialist, Treatment
from tests.factories import make_specialist

pytestmark = pytest.mark.django_db


def totals_by_counting(place, treatment_id=None, radius=DEFAULT_RADIUS) -> int:
    """How many qualifying specialists (every one these tests make qualifies while active)
    lie within ``radius`` miles of ``place``, by the great-circle rule, from the database."""
    specialists = Specialist.objects.filter(active=True)
    if treatment_id is not None:
        specialists = specialists.filter(treatments=treatment_id)
    return sum(
        great_circle_distance(place.latitude, place.longitude, latitude, longitude) <= radius
        for latitude, longitude in specialists.values_list("latitude", "longitude")
    )


def api_total(client, **params) -> int:
    response = client.get("/api/v1/match/", {"zip": "10001", **params})
    assert response.status_code == 200
    return response.json()["total"]


@pytest.fixture
def directory(settings):
    settings.MATCH_INDEX_PLACE_TOTALS_MIN_ROWS = 0
    rng = random.Random(5)
    centre = zip_place("10001")
    for n in range(80):
        make_specialist(
            latitude=centre.latitude + rng.uniform(-1.2, 1.2),
            longitude=centre.longitude + rng.uniform(-1.5, 1.5),
            treatments=("spinal-cord-stimulation",) if n % 3 else ("nerve-block",),
        )
    # Due north of 10001 at the default radius: on the boundary, where the build's two ball
    # counts may differ and the exact rule decides.
    make_specialist(
        latitude=centre.latitude + math.degrees(DEFAULT_RADIUS / EARTH_RADIUS["mi"]),
        longitude=centre.longitude,
    )
    forget()
    yield centre
    forget()


def test_every_zips_default_total_is_tabulated_and_equals_counting(directory):
    index = directory_index()
    treatments = [
        None,
        *Treatment.objects.filter(slug__in=["nerve-block", "spinal-cord-stimulation"])
        .order_by("pk")
        .values_list("pk", flat=True),
    ]
    places = [
        place
        for place in located_zip_places()
        if great_circle_distance(
            directory.latitude, directory.longitude, place.latitude, place.longitude
        )
        < 2 * DEFAULT_RADIUS
    ]
    assert len(places) > 500
    for place in places:
        for treatment_id in treatments:
            expected = totals_by_counting(place, treatment_id)
            tabulated = index.base.place_total(treatment_id, place.latitude, place.longitude)
            assert tabulated == expected, (place.zip, treatment_id)
            page = index.specialists_page(
                treatment_id=treatment_id,
                latitude=place.latitude,
                longitude=place.longitude,
                radius=DEFAULT_RADIUS,
                unit="mi",
                limit=1,
            )
            assert page.total == expected
    # Not a ZIP's place: no total in the table.
    assert index.base.place_total(None, directory.latitude + 1e-7, directory.longitude) is None


def test_tabulated_totals_follow_edits_and_other_searches_count(client, directory, admin_user):
    assert directory_index().base.place_total(None, directory.latitude, directory.longitude)
    expected = totals_by_counting(directory)
    assert api_total(client) == expected
    inside = next(
        specialist
        for specialist in Specialist.objects.order_by("pk")
        if great_circle_distance(
            directory.latitude, directory.longitude, specialist.latitude, specialist.longitude
        )
        < DEFAULT_RADIUS - 1
    )
    inside.active = False
    inside.save()
    assert api_total(client) == expected - 1 == totals_by_counting(directory)
    make_specialist(latitude=directory.latitude + 0.01, longitude=directory.longitude)
    make_specialist(latitude=directory.latitude + 0.01, longitude=directory.longitude)
    assert api_total(client) == expected + 1 == totals_by_counting(directory)
    assert api_total(client, radius="49") == totals_by_counting(directory, radius=49)
    assert api_total(client, radius="80.4672", unit="km") == sum(
        great_circle_distance(directory.latitude, directory.longitude, lat, lon, unit="km")
        <= 80.4672
        for lat, lon in Specialist.objects.filter(active=True).values_list("latitude", "longitude")
    )
