"""The index against a brute-force scan of every point, on thousands of random datasets.

The brute force is the contract read literally: every qualifying point, its great-circle
distance, those within the radius, sorted by distance, then last name (institutes: name),
then id. Datasets are drawn around the awkward places: the 180th meridian (Adak and its
neighbours across it), the poles, Alaska, Hawaii and the territories, with exact duplicate
positions and shared last names so that ties are common, including at the K boundary.
"""

import datetime
import random

import orjson
import pytest

from geo.distance import UNITS, great_circle_distance
from geo.gazetteer import located_zip_places, zip_place
from matcher.index import DirectoryIndex
from matcher.query import MatchQuery
from matcher.selectors import institute_nearest, specialist_nearest_ids
from specialists.models import Board, BoardCertification, Institute, Specialist, Treatment
from specialists.services import directory_changed
from tests.factories import valid_npi

AWKWARD_ZIPS = ["99546", "96507", "99723", "96799", "96910", "96950", "00601", "96802", "99501"]
AWKWARD_POINTS = [(89.99, 0.0), (-89.99, 45.0), (0.0, 179.999), (0.0, -179.999), (61.0, 180.0)]
LAST_NAMES = ["Adams", "Baker", "Baker", "Chen", "Diaz", "Diaz", "Evans"]
TREATMENTS = [1, 2, 3]


def brute_force_specialists(dataset, latitude, longitude, treatment, radius, unit, limit):
    specialists, links, _ = dataset
    offered = {specialist_id for t, specialist_id in links if t == treatment}
    ranked = sorted(
        (great_circle_distance(latitude, longitude, lat, lon, unit=unit), last_name, pk)
        for pk, lat, lon, last_name, _ in specialists
        if treatment is None or pk in offered
    )
    return [(pk, d) for d, _, pk in ranked if radius is None or d <= radius][:limit]


def brute_force_institutes(dataset, latitude, longitude, treatment, radius, unit, limit):
    specialists, links, institutes = dataset
    offered = {specialist_id for t, specialist_id in links if t == treatment}
    members = {}
    for pk, lat, lon, last_name, institute_id in specialists:
        if treatment is None or pk in offered:
            distance = great_circle_distance(latitude, longitude, lat, lon, unit=unit)
            members.setdefault(institute_id, []).append((distance, last_name, pk))
    ranked = sorted(
        (great_circle_distance(latitude, longitude, lat, lon, unit=unit), name, pk)
        for pk, lat, lon, name in institutes
        if pk in members
    )
    return [
        (pk, d, [m for _, _, m in sorted(members[pk])])
        for d, _, pk in ranked
        if radius is None or d <= radius
    ][:limit]


def random_position(rng, centres):
    """Somewhere near a centre: on it exactly (ties), within metres, or within ~300 miles."""
    lat, lon = rng.choice(centres)
    spread = rng.choice([0.0, 0.0, 1e-5, 0.05, 1.0, 4.0])
    lat = max(-90.0, min(90.0, lat + rng.uniform(-spread, spread)))
    lon = lon + rng.uniform(-spread, spread) * 2
    lon = (lon + 180.0) % 360.0 - 180.0
    return lat, lon


def random_dataset(rng, centres):
    institutes = [
        (pk, *random_position(rng, centres), rng.choice(["North", "South", "South"]))
        for pk in range(1, rng.randint(0, 12) + 1)
    ]
    institute_ids = [i[0] for i in institutes] + [None, 999]  # 999: inactive, so not given
    specialists = []
    pk = 0
    for _ in range(rng.randint(0, 300)):
        pk += rng.randint(1, 3)
        specialists.append(
            (pk, *random_position(rng, centres), rng.choice(LAST_NAMES), rng.choice(institute_ids))
        )
    links = [(t, s[0]) for s in specialists for t in TREATMENTS if rng.random() < 0.4] + [
        (1, 10**9)
    ]  # a link to a specialist who does not qualify
    return specialists, links, institutes


def random_query(rng, centres):
    latitude, longitude = random_position(rng, centres)
    return {
        "latitude": latitude,
        "longitude": longitude,
        "treatment_id": rng.choice([None, None, *TREATMENTS, 99]),
        "radius": rng.choice([None, 500.0, 1.0, rng.uniform(1, 500), rng.uniform(1, 60)]),
        "unit": rng.choice(UNITS),
        "limit": rng.choice([1, 2, 3, 10, 50, rng.randint(1, 50)]),
    }


@pytest.fixture(scope="module")
def centres():
    places = [zip_place(z) for z in AWKWARD_ZIPS]
    rng = random.Random(7)
    places += rng.sample(located_zip_places(), 40)
    return [(p.latitude, p.longitude) for p in places] + AWKWARD_POINTS


@pytest.mark.parametrize("seed", range(8))
def test_index_matches_brute_force_on_random_datasets(seed, centres):
    rng = random.Random(seed)
    checked = 0
    for _ in range(150):
        dataset = random_dataset(rng, centres)
        specialists, links, institutes = dataset
        index = DirectoryIndex.from_rows(
            version=0,
            on=datetime.date(2030, 1, 1),
            specialists=specialists,
            links=links,
            institutes=institutes,
        )
        for _ in range(6):
            query = random_query(rng, centres)
            args = tuple(query.values())
            assert index.specialists_nearest(**query) == brute_force_specialists(dataset, *args)
            assert index.institutes_nearest(**query) == brute_force_institutes(dataset, *args)
            checked += 1
    assert checked == 900


def test_boundary_ties_among_hundreds_of_identical_positions():
    specialists = [(pk, 51.8549, -177.0888, LAST_NAMES[pk % 7], None) for pk in range(1, 400)]
    specialists += [(pk, 51.5672, 178.8775, "Aaron", None) for pk in range(400, 420)]
    dataset = (specialists, [], [])
    index = DirectoryIndex.from_rows(
        version=0, on=datetime.date(2030, 1, 1), specialists=specialists, links=[], institutes=[]
    )
    for limit in (1, 7, 50):
        for latitude, longitude in ((51.8549, -177.0888), (51.5672, 178.8775), (51.7, 180.0)):
            for radius in (None, 1.0, 174.0, 500.0):
                expected = brute_force_specialists(
                    dataset, latitude, longitude, None, radius, "mi", limit
                )
                assert (
                    index.specialists_nearest(
                        latitude=latitude,
                        longitude=longitude,
                        treatment_id=None,
                        radius=radius,
                        unit="mi",
                        limit=limit,
                    )
                    == expected
                )


@pytest.mark.django_db
def test_selectors_match_brute_force_over_the_database():
    """Real rows through Specialist.objects.qualifying(), checked against the rule itself."""
    rng = random.Random(2024)
    today = datetime.date.today()
    places = rng.sample(located_zip_places(), 300) + [zip_place(z) for z in AWKWARD_ZIPS]
    boards = list(Board.objects.all())
    treatments = list(Treatment.objects.all()[:3])
    institutes = Institute.objects.bulk_create(
        Institute(
            name=f"Institute {n}",
            slug=f"institute-{n}",
            address_line1="1 Main St",
            city=place.city,
            state=place.state,
            zip=place.zip,
            latitude=place.latitude,
            longitude=place.longitude,
            active=n % 5 != 0,
        )
        for n, place in enumerate(rng.sample(places, 40))
    )
    specialists = Specialist.objects.bulk_create(
        Specialist(
            npi=valid_npi(n),
            slug=f"s-{n}",
            first_name="Pat",
            last_name=rng.choice(LAST_NAMES),
            specialty="Pain medicine",
            phone="+12125550100",
            address_line1="1 Main St",
            city=place.city,
            state=place.state,
            zip=place.zip,
            latitude=place.latitude + rng.choice([0, 0, 0.01]),
            longitude=place.longitude,
            active=rng.random() < 0.9,
            institute=rng.choice([*institutes, None, None]),
        )
        for n, place in enumerate(rng.choices(places, k=1500))
    )
    BoardCertification.objects.bulk_create(
        BoardCertification(
            specialist=specialist,
            board=board,
            expires_on=rng.choice([None, today, today - datetime.timedelta(days=1)]),
        )
        for specialist in specialists
        for board in rng.sample(boards, rng.randint(0, 2))
    )
    Specialist.treatments.through.objects.bulk_create(
        Specialist.treatments.through(specialist=specialist, treatment=treatment)
        for specialist in specialists
        for treatment in treatments
        if rng.random() < 0.5
    )
    directory_changed()

    current = {
        c.specialist_id
        for c in BoardCertification.objects.all()
        if c.expires_on is None or c.expires_on >= today
    }
    qualifying = [
        (s.id, s.latitude, s.longitude, s.last_name, s.institute_id)
        for s in Specialist.objects.order_by("id")
        if s.active and s.id in current
    ]
    dataset = (
        qualifying,
        list(Specialist.treatments.through.objects.values_list("treatment_id", "specialist_id")),
        [(i.id, i.latitude, i.longitude, i.name) for i in Institute.objects.filter(active=True)],
    )
    assert 0 < len(qualifying) < len(specialists)
    for _ in range(300):
        origin = rng.choice(places)
        treatment = rng.choice([None, *treatments])
        radius, unit, limit = (
            rng.choice([1, 25, 50, 120, 500]),
            rng.choice(UNITS),
            rng.randint(1, 50),
        )
        args = (origin.latitude, origin.longitude, treatment and treatment.pk, radius, unit, limit)
        expected = brute_force_specialists(dataset, *args)
        query = MatchQuery(
            origin=origin, treatment=treatment, radius=radius, unit=unit, limit=limit
        )
        found = specialist_nearest_ids(query)
        assert found == [(pk, round(d, 1)) for pk, d in expected]
        institutes_found = institute_nearest(query)
        assert [(m.institute.id, m.distance, m.specialist_ids) for m in institutes_found] == [
            (pk, round(d, 1), members) for pk, d, members in brute_force_institutes(dataset, *args)
        ]


def test_concurrent_searches_share_one_snapshot_safely(centres):
    """Threads of one worker building the lazy filter and institute sets and rendering
    cards at the same time all get the brute-force answer."""
    from concurrent.futures import ThreadPoolExecutor

    rng = random.Random(99)
    dataset = random_dataset(rng, centres)
    while len(dataset[0]) < 100:
        dataset = random_dataset(rng, centres)
    index = DirectoryIndex.from_rows(
        version=0,
        on=datetime.date(2030, 1, 1),
        specialists=dataset[0],
        links=dataset[1],
        institutes=dataset[2],
    )
    queries = [random_query(rng, centres) for _ in range(400)]

    def search(query):
        found = index.specialists_nearest(**query)
        cards = index.specialist_cards_page(count=False, **query).found
        assert [orjson.loads(card)["id"] for card, _ in cards] == [pk for pk, _ in found]
        return found, index.institutes_nearest(**query)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(search, queries))

    for query, (specialists, institutes) in zip(queries, answers, strict=True):
        args = tuple(query.values())
        assert specialists == brute_force_specialists(dataset, *args)
        assert institutes == brute_force_institutes(dataset, *args)
