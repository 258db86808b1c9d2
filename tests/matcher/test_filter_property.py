"""Filtered, sorted and paged searches against a brute-force scan, on random datasets.

The brute force is the rule read literally: every qualifying specialist that offers the
treatment and has every fact the filter asks for, its great-circle distance, those within
the radius, ordered by distance (then last name, then id) or by name (last name, first
name, case-insensitive, then id), then the page cut from that list; ``total`` is the length
of the whole list. Radii are often set to a specialist's exact distance, so the boundary
(where the tree's chord and the exact formula must agree) is tested on every dataset.
"""

import datetime
import random

import pytest

from geo.distance import UNITS, great_circle_distance
from matcher import snapshot as snapshot_module
from matcher.index import SORTS, DirectoryIndex, SpecialistFacts, SpecialistFilter
from tests.matcher.test_nearest_property import random_dataset, random_position

SPECIALTIES = ["Neurosurgery", "Pain medicine", "Physical medicine and rehabilitation", "Podiatry"]
FIRST_NAMES = ["Ana", "ana", "Ben", "Zoe", "Émile", ""]
LANGUAGE_POOL = ["en", "es", "vi", "zh", "ht"]
PLANS = [1, 2, 3, 4, 5]


def random_facts(rng, specialists):
    facts = [
        SpecialistFacts(
            first_name=rng.choice(FIRST_NAMES),
            accepting=rng.random() < 0.8,
            telehealth=rng.random() < 0.4,
            gender=rng.choice(["F", "M", "M", ""]),
            specialty=rng.choice(SPECIALTIES),
            languages=";".join(sorted(rng.sample(LANGUAGE_POOL, rng.choice([0, 1, 1, 2, 3])))),
        )
        for _ in specialists
    ]
    insurance_links = [
        (plan, specialist[0]) for specialist in specialists for plan in PLANS if rng.random() < 0.3
    ] + [(1, 10**9)]  # a plan link of a specialist who does not qualify
    return facts, insurance_links


def random_filter(rng) -> SpecialistFilter:
    chosen = rng.sample(
        ["accepting", "telehealth", "language", "gender", "insurance", "specialty"],
        rng.choice([0, 0, 1, 1, 2, 3, 6]),
    )
    return SpecialistFilter(
        accepting="accepting" in chosen,
        telehealth="telehealth" in chosen,
        language=rng.choice([*LANGUAGE_POOL, "ko"]) if "language" in chosen else None,
        gender=rng.choice(["F", "M"]) if "gender" in chosen else None,
        insurance_id=rng.choice([*PLANS, 99]) if "insurance" in chosen else None,
        specialty=rng.choice(["surgery", "pain-medicine", "rehabilitation"])
        if "specialty" in chosen
        else None,
    )


def matches(fact: SpecialistFacts, plans: set, wanted: SpecialistFilter) -> bool:
    group = {
        "Neurosurgery": "surgery",
        "Pain medicine": "pain-medicine",
        "Physical medicine and rehabilitation": "rehabilitation",
    }.get(fact.specialty)
    return (
        (not wanted.accepting or fact.accepting)
        and (not wanted.telehealth or fact.telehealth)
        and (wanted.language is None or wanted.language in fact.languages.split(";"))
        and (wanted.gender is None or wanted.gender == fact.gender)
        and (wanted.insurance_id is None or wanted.insurance_id in plans)
        and (wanted.specialty is None or wanted.specialty == group)
    )


def matching(dataset, facts, insurance_links, query):
    """Each qualifying specialist offering the treatment with every fact asked for, with
    its exact distance from the query's point: (distance, specialist tuple, facts)."""
    specialists, links, _ = dataset
    offered = {pk for t, pk in links if t == query["treatment_id"]}
    plans = {}
    for plan, pk in insurance_links:
        plans.setdefault(pk, set()).add(plan)
    for specialist, fact in zip(specialists, facts, strict=True):
        pk, lat, lon = specialist[:3]
        if query["treatment_id"] is not None and pk not in offered:
            continue
        if matches(fact, plans.get(pk, set()), query["filters"]):
            distance = great_circle_distance(
                query["latitude"], query["longitude"], lat, lon, unit=query["unit"]
            )
            yield distance, specialist, fact


def within(query, distance: float) -> bool:
    return query["radius"] is None or distance <= query["radius"]


def brute_force(dataset, facts, insurance_links, query):
    listed = [
        (distance, specialist[3], fact.first_name, specialist[0])
        for distance, specialist, fact in matching(dataset, facts, insurance_links, query)
        if within(query, distance)
    ]
    if query["sort"] == "name":
        listed.sort(key=lambda e: (e[1].casefold(), e[2].casefold(), e[3]))
    else:
        listed.sort(key=lambda e: (e[0], e[1], e[3]))
    window = listed[query["offset"] : query["offset"] + query["limit"]]
    return [(pk, distance) for distance, _, _, pk in window], len(listed)


def random_query(rng, centres, dataset):
    latitude, longitude = random_position(rng, centres)
    unit = rng.choice(UNITS)
    radius = rng.choice([None, 500.0, 1.0, rng.uniform(1, 500), rng.uniform(1, 60), "exact"])
    if radius == "exact":
        specialists = dataset[0]
        if specialists:
            _, lat, lon, _, _ = rng.choice(specialists)
            radius = great_circle_distance(latitude, longitude, lat, lon, unit=unit)
        else:
            radius = 50.0
    return {
        "latitude": latitude,
        "longitude": longitude,
        "treatment_id": rng.choice([None, None, 1, 2, 3, 99]),
        "radius": radius,
        "unit": unit,
        "limit": rng.choice([1, 3, 10, rng.randint(1, 50)]),
        "offset": rng.choice([0, 0, 0, 1, 3, 10, 40, rng.randint(0, 300)]),
        "sort": rng.choice(SORTS) if radius is not None else "distance",
        "filters": random_filter(rng),
    }


@pytest.fixture(scope="module")
def centres():
    from geo.gazetteer import located_zip_places, zip_place
    from tests.matcher.test_nearest_property import AWKWARD_POINTS, AWKWARD_ZIPS

    places = [zip_place(z) for z in AWKWARD_ZIPS]
    places += random.Random(11).sample(located_zip_places(), 30)
    return [(p.latitude, p.longitude) for p in places] + AWKWARD_POINTS


def build(dataset, facts, insurance_links):
    specialists, links, institutes = dataset
    return DirectoryIndex.from_rows(
        version=0,
        on=datetime.date(2030, 1, 1),
        specialists=specialists,
        links=links,
        institutes=institutes,
        facts=facts,
        insurance_links=insurance_links,
    )


def random_cases(rng, centres, *, datasets: int, queries: int):
    """(dataset, facts, insurance links, its index, a query) for random datasets, several
    queries each."""
    for _ in range(datasets):
        dataset = random_dataset(rng, centres)
        facts, insurance_links = random_facts(rng, dataset[0])
        index = build(dataset, facts, insurance_links)
        for _ in range(queries):
            yield dataset, facts, insurance_links, index, random_query(rng, centres, dataset)


@pytest.mark.parametrize("seed", range(6))
def test_filtered_sorted_paged_searches_match_brute_force(seed, centres):
    checked = nonempty = 0
    for dataset, facts, insurance_links, index, query in random_cases(
        random.Random(1000 + seed), centres, datasets=60, queries=10
    ):
        page = index.specialists_page(**query)
        expected, total = brute_force(dataset, facts, insurance_links, query)
        assert (page.found, page.total) == (expected, total), query
        assert index.specialists_nearest(**query) == expected
        checked += 1
        nonempty += bool(expected)
    assert checked == 600 and nonempty > 120


def test_a_rare_filter_still_finds_the_true_nearest_far_beyond_the_common_ones():
    """Thousands of specialists near the origin, one Vietnamese-speaking telehealth doctor
    far away: the filtered search returns exactly that doctor, not an empty list cut from
    the nearest thousand."""
    rng = random.Random(5)
    specialists = [
        (pk, 40.75 + rng.uniform(-0.2, 0.2), -73.99 + rng.uniform(-0.2, 0.2), "Near", None)
        for pk in range(1, 3001)
    ]
    specialists.append((5000, 42.36, -71.06, "Far", None))
    facts = [SpecialistFacts(languages="en;es", telehealth=True)] * 3000
    facts.append(SpecialistFacts(languages="en;vi", telehealth=True))
    index = build((specialists, [], []), facts, [])
    wanted = SpecialistFilter(language="vi", telehealth=True)
    page = index.specialists_page(
        latitude=40.75, longitude=-73.99, treatment_id=None, radius=500, unit="mi",
        limit=10, filters=wanted,
    )  # fmt: skip
    assert [pk for pk, _ in page.found] == [5000] and page.total == 1
    everyone = index.specialists_page(
        latitude=40.75, longitude=-73.99, treatment_id=None, radius=500, unit="mi", limit=10
    )
    assert everyone.total == 3001


def test_the_filtered_tree_cache_stays_within_its_budget_and_right(monkeypatch, centres):
    monkeypatch.setattr(snapshot_module, "FILTERED_POINTS_FLOOR", 50)
    monkeypatch.setattr(snapshot_module, "FILTERED_POINTS_BUDGET", 0)
    rng = random.Random(77)
    dataset = random_dataset(rng, centres)
    while len(dataset[0]) < 150:
        dataset = random_dataset(rng, centres)
    facts, insurance_links = random_facts(rng, dataset[0])
    index = build(dataset, facts, insurance_links)
    for _ in range(300):
        query = random_query(rng, centres, dataset)
        page = index.specialists_page(**query)
        assert (page.found, page.total) == brute_force(dataset, facts, insurance_links, query)
        assert index.base._filtered_points <= 50 or len(index.base._filtered) == 1


def brute_force_institutes(dataset, facts, insurance_links, query):
    members = {}
    for distance, (pk, _, _, last_name, institute_id), _ in matching(
        dataset, facts, insurance_links, query
    ):
        members.setdefault(institute_id, []).append((distance, last_name, pk))
    listed = []
    for pk, lat, lon, name in dataset[2]:
        distance = great_circle_distance(
            query["latitude"], query["longitude"], lat, lon, unit=query["unit"]
        )
        if pk in members and within(query, distance):
            listed.append((distance, name, pk))
    if query["sort"] == "name":
        listed.sort(key=lambda e: (e[1].casefold(), e[2]))
    else:
        listed.sort()
    window = listed[query["offset"] : query["offset"] + query["limit"]]
    return [(pk, d, [m for _, _, m in sorted(members[pk])]) for d, _, pk in window], len(listed)


@pytest.mark.parametrize("seed", range(3))
def test_institute_pages_match_brute_force(seed, centres):
    for dataset, facts, insurance_links, index, query in random_cases(
        random.Random(2000 + seed), centres, datasets=60, queries=8
    ):
        page = index.institutes_page(**query)
        expected = brute_force_institutes(dataset, facts, insurance_links, query)
        assert (page.found, page.total) == expected, query
