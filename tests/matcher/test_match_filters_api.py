"""The match and institute APIs' filters, sort, paging and total."""

import pytest

from matcher.index import directory_index
from tests.factories import make_institute, make_specialist

from .test_match_api import ids, match, north_of_nyc

pytestmark = pytest.mark.django_db


@pytest.fixture
def network():
    """Eight specialists north of 10001, one mile apart, with varied facts."""
    institute = make_institute(name="Uptown Spine", **north_of_nyc(4))
    people = {}
    facts = [
        ("Ortiz", "en;es", "F", True, ("medicare", "aetna"), True, "Pain medicine"),
        ("Nguyen", "en;vi", "M", False, ("medicare",), True, "Neurosurgery"),
        ("adams", "en", "M", True, ("aetna",), False, "Orthopaedic spine surgery"),
        ("Baker", "en;es", "M", False, ("medicaid",), True, "Physical medicine and rehabilitation"),
        ("Cruz", "es", "F", True, ("medicare",), True, "Neurosurgery"),
        ("Diaz", "en;es", "", False, (), True, "Pain medicine"),
        ("Evans", "en", "F", False, ("medicare", "tricare"), False, "Pain medicine"),
        ("Adams", "en", "M", False, ("tricare",), True, "Neurosurgery"),
    ]
    for miles, (last, languages, gender, telehealth, plans, accepting, specialty) in enumerate(
        facts, start=1
    ):
        people[last] = make_specialist(
            last_name=last,
            languages=languages,
            gender=gender,
            telehealth=telehealth,
            insurance=plans,
            accepting_new_patients=accepting,
            specialty=specialty,
            institute=institute if miles % 2 else None,
            **north_of_nyc(miles),
        )
    return people


def names(response):
    return [result["last_name"] for result in response.json()["results"]]


def test_each_filter_narrows_to_the_specialists_with_that_fact(client, network):
    assert names(match(client, zip="10001", language="es")) == ["Ortiz", "Baker", "Cruz", "Diaz"]
    assert names(match(client, zip="10001", language="VI")) == ["Nguyen"]
    assert names(match(client, zip="10001", gender="female")) == ["Ortiz", "Cruz", "Evans"]
    assert names(match(client, zip="10001", telehealth="true")) == ["Ortiz", "adams", "Cruz"]
    assert names(match(client, zip="10001", accepting="true")) == [
        "Ortiz", "Nguyen", "Baker", "Cruz", "Diaz", "Adams",
    ]  # fmt: skip
    assert names(match(client, zip="10001", insurance="medicare")) == [
        "Ortiz", "Nguyen", "Cruz", "Evans",
    ]  # fmt: skip
    assert names(match(client, zip="10001", specialty="surgery")) == [
        "Nguyen", "adams", "Cruz", "Adams",
    ]  # fmt: skip
    assert names(
        match(client, zip="10001", language="es", accepting="true", insurance="medicare")
    ) == ["Ortiz", "Cruz"]
    assert names(match(client, zip="10001", language="ko")) == []
    # false and empty mean no filter.
    assert len(ids(match(client, zip="10001", accepting="false", telehealth=""))) == 8


def test_total_counts_every_page_and_offset_pages_through(client, network):
    first = match(client, zip="10001", limit=3).json()
    assert (first["count"], first["total"]) == (3, 8)
    assert names(match(client, zip="10001", limit=3, offset=3)) == ["Baker", "Cruz", "Diaz"]
    last = match(client, zip="10001", limit=3, offset=6).json()
    assert (last["count"], last["total"], names_of(last)) == (2, 8, ["Evans", "Adams"])
    past = match(client, zip="10001", limit=3, offset=20).json()
    assert (past["count"], past["total"], past["results"]) == (0, 8, [])
    # Matches exist inside the radius, so nothing is offered beyond it.
    assert past["nearest_beyond_radius"] is None
    narrow = match(client, zip="10001", radius=3, language="es").json()
    assert (narrow["count"], narrow["total"]) == (1, 1)


def names_of(body):
    return [result["last_name"] for result in body["results"]]


def test_sort_by_name_is_case_insensitive_with_distance_kept(client, network):
    body = match(client, zip="10001", sort="name", limit=4).json()
    assert names_of(body) == ["adams", "Adams", "Baker", "Cruz"]
    assert [r["distance"] for r in body["results"]] == [3.0, 8.0, 4.0, 5.0]
    assert body["total"] == 8
    assert names(match(client, zip="10001", sort="name", offset=4, limit=4)) == [
        "Diaz", "Evans", "Nguyen", "Ortiz",
    ]  # fmt: skip
    within = match(client, zip="10001", sort="name", radius=3.5)
    assert names(within) == ["adams", "Nguyen", "Ortiz"]


def test_a_filter_with_nobody_inside_the_radius_points_beyond_it(client, network):
    far = make_specialist(last_name="Far", languages="en;ht", **north_of_nyc(80))
    body = match(client, zip="10001", language="ht").json()
    assert (body["count"], body["total"]) == (0, 0)
    assert body["nearest_beyond_radius"]["id"] == far.id


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"offset": "-1"}, "offset", "Ensure this value is greater than or equal to 0."),
        ({"offset": "10001"}, "offset", "Ensure this value is less than or equal to 10000."),
        ({"offset": "two"}, "offset", "A valid integer is required."),
        ({"sort": "nearest"}, "sort", "Enter distance or name."),
        ({"sort": "Name"}, "sort", "Enter distance or name."),
        ({"accepting": "yes"}, "accepting", "Enter true or false."),
        ({"accepting": "1"}, "accepting", "Enter true or false."),
        ({"telehealth": "TRUE"}, "telehealth", "Enter true or false."),
        (
            {"language": "xx"},
            "language",
            "Unknown language 'xx': use an ISO 639-1 code such as es.",
        ),
        ({"language": "spanish"}, "language", None),
        ({"gender": "F"}, "gender", "Enter female or male."),
        ({"gender": "other"}, "gender", "Enter female or male."),
        ({"insurance": "acme"}, "insurance", "Unknown insurance plan 'acme'."),
        ({"insurance": "x" * 81}, "insurance", None),
        ({"specialty": "podiatry"}, "specialty", None),
        ({"language": "es\x00"}, "language", "Null characters are not allowed."),
    ],
)
@pytest.mark.parametrize("endpoint", ["/api/v1/match/", "/api/v1/institutes/nearest/"])
def test_bad_filter_values_are_a_400_naming_the_parameter(client, endpoint, params, field, message):
    response = client.get(endpoint, {"zip": "10001", **params})
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    if message is not None:
        assert errors[field] == [message]


def test_institutes_take_the_same_filters_sort_and_paging(client, network):
    east = make_institute(name="Eastside Spine", **north_of_nyc(2))
    make_specialist(last_name="Gomez", languages="es", institute=east, **north_of_nyc(2))
    body = client.get("/api/v1/institutes/nearest/", {"zip": "10001"}).json()
    assert [r["name"] for r in body["results"]] == ["Eastside Spine", "Uptown Spine"]
    assert body["total"] == 2
    uptown = body["results"][1]
    assert len(uptown["specialists"]) == 4
    spanish = client.get(
        "/api/v1/institutes/nearest/", {"zip": "10001", "language": "es", "accepting": "true"}
    ).json()
    # Only Ortiz and Cruz speak Spanish and accept new patients at Uptown.
    assert spanish["results"][1]["specialists"] == [network["Ortiz"].id, network["Cruz"].id]
    paged = client.get(
        "/api/v1/institutes/nearest/", {"zip": "10001", "sort": "name", "offset": 1}
    ).json()
    assert [r["name"] for r in paged["results"]] == ["Uptown Spine"]
    assert (paged["count"], paged["total"]) == (1, 2)


def test_filtered_searches_cost_no_more_queries(client, network, django_assert_num_queries):
    directory_index()
    params = {"zip": "10001", "language": "es", "insurance": "medicare", "sort": "name"}
    match(client, **params)  # renders the cards once
    # The funnel's tally and the directory version, read again (as for a treatment) to name
    # the insurance plan: the filters and the cards all come from the snapshot.
    with django_assert_num_queries(3):
        body = match(client, **params).json()
    assert body["total"] == 2
