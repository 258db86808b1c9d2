import datetime

import pytest
from django.utils import timezone

from matcher.index import directory_index
from specialists.models import Board, BoardCertification, Treatment
from tests.factories import make_institute, make_specialist

pytestmark = pytest.mark.django_db

# 10001's centroid in the gazetteer; one degree of latitude is about 69.1 miles.
NYC = (40.7484, -73.9967)


def north_of_nyc(miles):
    return {"latitude": NYC[0] + miles / 69.09, "longitude": NYC[1]}


def match(client, **params):
    return client.get("/api/v1/match/", params)


def ids(response):
    return [result["id"] for result in response.json()["results"]]


def test_result_has_exactly_the_contract_fields(client):
    institute = make_institute(name="Midtown Spine Institute")
    jane = make_specialist(
        first_name="Jane",
        last_name="Doe",
        credentials="MD",
        institute=institute,
        boards=("ABOS", "ABNS"),
        expires_on=datetime.date(2031, 12, 31),
        treatments=("spinal-hardware-removal", "spinal-cord-stimulation"),
        address_line2="Suite 4",
        **north_of_nyc(0.4),
    )
    BoardCertification.objects.filter(specialist=jane, board__code="ABNS").update(
        expires_on=datetime.date(2020, 1, 1)
    )

    response = match(client, zip="10001-1234", treatment="spinal-cord-stimulation")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "origin": {
            "zip": "10001",
            "city": "New York",
            "state": "NY",
            "latitude": 40.7484,
            "longitude": -73.9967,
        },
        "treatment": "spinal-cord-stimulation",
        "radius": 50,
        "unit": "mi",
        "count": 1,
        "total": 1,
        "results": [
            {
                "id": jane.id,
                "slug": jane.slug,
                "npi": jane.npi,
                "name": "Jane Doe, MD",
                "first_name": "Jane",
                "last_name": "Doe",
                "credentials": "MD",
                "specialty": "Orthopaedic spine surgery",
                "accepting_new_patients": True,
                "phone": "+12125550100",
                "address": {
                    "line1": jane.address_line1,
                    "line2": "Suite 4",
                    "city": "New York",
                    "state": "NY",
                    "zip": "10001",
                    "latitude": jane.latitude,
                    "longitude": jane.longitude,
                },
                "board_certifications": [
                    {
                        "board": "ABOS",
                        "board_name": "American Board of Orthopaedic Surgery",
                        "expires_on": "2031-12-31",
                    }
                ],
                "treatments": ["spinal-hardware-removal", "spinal-cord-stimulation"],
                "institute": {
                    "id": institute.id,
                    "slug": institute.slug,
                    "name": "Midtown Spine Institute",
                },
                "distance": 0.4,
                "url": f"/specialists/{jane.slug}/",
            }
        ],
        "nearest_beyond_radius": None,
    }


def test_independent_specialist_has_null_institute_and_radius_echoes_fractions(client):
    make_specialist(institute=None)
    body = match(client, zip="10001", radius="12.5", unit="km").json()
    assert body["results"][0]["institute"] is None
    assert (body["radius"], body["unit"]) == (12.5, "km")


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({}, "zip", "This field is required."),
        ({"zip": ""}, "zip", "Enter a 5-digit US ZIP code."),
        ({"zip": "1000"}, "zip", "Enter a 5-digit US ZIP code."),
        ({"zip": "１０００１"}, "zip", "Enter a 5-digit US ZIP code."),
        ({"zip": "١٠٠٠١"}, "zip", "Enter a 5-digit US ZIP code."),
        ({"zip": "10001" * 2000}, "zip", "Enter a 5-digit US ZIP code."),
        ({"zip": "10001\x00"}, "zip", "Null characters are not allowed."),
        ({"zip": "00000"}, "zip", "Unknown ZIP code 00000."),
        ({"zip": "09001"}, "zip", "ZIP code 09001 has no known location."),
        ({"treatment": "unicorn-therapy"}, "treatment", "Unknown treatment 'unicorn-therapy'."),
        ({"treatment": "Nerve-Block"}, "treatment", "Unknown treatment 'Nerve-Block'."),
        ({"treatment": "x" * 81}, "treatment", None),
        ({"treatment": "nerve\x00block"}, "treatment", "Null characters are not allowed."),
        ({"radius": "0"}, "radius", "Ensure this value is greater than or equal to 1."),
        ({"radius": "0.99"}, "radius", "Ensure this value is greater than or equal to 1."),
        ({"radius": "500.01"}, "radius", "Ensure this value is less than or equal to 500."),
        ({"radius": "-5"}, "radius", "Ensure this value is greater than or equal to 1."),
        ({"radius": "nan"}, "radius", "A valid number is required."),
        ({"radius": "NaN"}, "radius", "A valid number is required."),
        ({"radius": "inf"}, "radius", "A valid number is required."),
        ({"radius": "-Infinity"}, "radius", "A valid number is required."),
        ({"radius": "1e2"}, "radius", "A valid number is required."),
        ({"radius": "9" * 400}, "radius", "A valid number is required."),
        ({"radius": "１０"}, "radius", "A valid number is required."),
        ({"radius": "ten"}, "radius", "A valid number is required."),
        ({"radius": "10\x00"}, "radius", "A valid number is required."),
        ({"limit": "0"}, "limit", "Ensure this value is greater than or equal to 1."),
        ({"limit": "51"}, "limit", "Ensure this value is less than or equal to 50."),
        ({"limit": "2.5"}, "limit", "A valid integer is required."),
        ({"limit": "10.0"}, "limit", "A valid integer is required."),
        ({"limit": "٥"}, "limit", "A valid integer is required."),
        ({"limit": "9" * 5000}, "limit", "A valid integer is required."),
        (
            {"limit": "99999999999999999999"},
            "limit",
            "Ensure this value is less than or equal to 50.",
        ),
        ({"unit": "miles"}, "unit", "Enter mi or km."),
        ({"unit": "MI"}, "unit", "Enter mi or km."),
        ({"unit": "m" * 10_000}, "unit", "Enter mi or km."),
        ({"unit": "mi\x00"}, "unit", "Enter mi or km."),
    ],
)
@pytest.mark.parametrize("endpoint", ["/api/v1/match/", "/api/v1/institutes/nearest/"])
def test_bad_input_is_a_400_naming_the_field(client, endpoint, params, field, message):
    query = params if field == "zip" else {"zip": "10001", **params}
    response = client.get(endpoint, query)
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    if message is not None:
        assert errors[field] == [message]


def test_every_bad_field_is_reported_at_once(client):
    response = match(client, zip="abc", treatment="nope", radius="x", limit="y", unit="z")
    assert response.status_code == 400
    assert set(response.json()) == {"zip", "treatment", "radius", "limit", "unit"}


def test_repeated_parameters_use_the_last_value(client):
    make_specialist()
    assert client.get("/api/v1/match/?zip=abc&zip=10001").status_code == 200
    assert client.get("/api/v1/match/?zip=10001&zip=abc").status_code == 400
    body = client.get("/api/v1/match/?zip=10001&limit=50&limit=1&radius=3&radius=7").json()
    assert (body["radius"], body["count"]) == (7, 1)


def test_empty_optional_parameters_mean_their_defaults(client):
    make_specialist()
    body = match(client, zip="10001", treatment="", radius="", limit="", unit="").json()
    assert (body["treatment"], body["radius"], body["unit"], body["count"]) == (None, 50, "mi", 1)


def test_accepts_numbers_with_spaces_and_a_leading_plus(client):
    body = match(client, zip=" 10001 ", radius=" +25.0 ", limit="+3").json()
    assert body["radius"] == 25


def test_only_qualifying_specialists_match(client):
    today = timezone.localdate()
    qualifies = make_specialist(last_name="Current")
    expires_today = make_specialist(last_name="Today", expires_on=today)
    make_specialist(last_name="Lapsed", expires_on=today - datetime.timedelta(days=1))
    make_specialist(last_name="Inactive", active=False)
    make_specialist(last_name="Uncertified", boards=())
    make_specialist(last_name="OtherTreatment", treatments=("nerve-block",))
    one_good_board = make_specialist(
        last_name="Mixed", boards=("ABOS", "ABA"), expires_on=today - datetime.timedelta(days=3)
    )
    BoardCertification.objects.filter(specialist=one_good_board, board__code="ABA").update(
        expires_on=None
    )

    body = match(client, zip="10001", treatment="spinal-cord-stimulation").json()

    assert ids_of(body) == sorted(
        [qualifies.id, expires_today.id, one_good_board.id],
        key=lambda pk: {qualifies.id: "Current", expires_today.id: "Today"}.get(pk, "Mixed"),
    )
    mixed = next(r for r in body["results"] if r["id"] == one_good_board.id)
    assert [c["board"] for c in mixed["board_certifications"]] == ["ABA"]


def ids_of(body):
    return [result["id"] for result in body["results"]]


def test_nearest_first_then_last_name_then_id(client):
    far = make_specialist(last_name="Aaron", **north_of_nyc(20))
    b_second = make_specialist(last_name="Baker", **north_of_nyc(5))
    b_first = make_specialist(last_name="Baker", **north_of_nyc(5))
    a = make_specialist(last_name="Abbott", **north_of_nyc(5))
    near = make_specialist(last_name="Zed", **north_of_nyc(1))

    body = match(client, zip="10001").json()

    assert ids_of(body) == [near.id, a.id, b_second.id, b_first.id, far.id]
    assert [r["distance"] for r in body["results"]] == [1.0, 5.0, 5.0, 5.0, 20.0]
    assert ids(match(client, zip="10001", limit=2)) == [near.id, a.id]


def test_radius_is_inclusive_and_measured_in_the_unit(client):
    at_30_km = make_specialist(**north_of_nyc(30 / 1.609344))
    make_specialist(**north_of_nyc(40))

    km = match(client, zip="10001", radius=31, unit="km").json()
    assert ids_of(km) == [at_30_km.id]
    assert km["results"][0]["distance"] == 30.0
    assert ids(match(client, zip="10001", radius=29, unit="km")) == []
    assert ids(match(client, zip="10001", radius=19, unit="mi")) == [at_30_km.id]


def test_nothing_in_radius_points_to_the_nearest_beyond(client):
    make_specialist(**north_of_nyc(80), active=False)
    beyond = make_specialist(
        first_name="Ann", last_name="Far", credentials="DO", **north_of_nyc(90)
    )
    make_specialist(**north_of_nyc(120))

    body = match(client, zip="10001").json()

    assert body["results"] == [] and body["count"] == 0
    assert body["nearest_beyond_radius"] == {
        "id": beyond.id,
        "name": "Ann Far, DO",
        "distance": 90.0,
        "url": f"/specialists/{beyond.slug}/",
    }
    assert match(client, zip="10001", radius=100).json()["nearest_beyond_radius"] is None


def test_nobody_qualifies_anywhere_gives_null(client):
    make_specialist(treatments=("nerve-block",))
    body = match(client, zip="10001", treatment="discectomy").json()
    assert body["results"] == [] and body["nearest_beyond_radius"] is None


def test_searches_across_the_180th_meridian_both_ways(client):
    adak = make_specialist(latitude=51.8549, longitude=-177.0888, state="AK")
    west = make_specialist(latitude=51.5672, longitude=178.8775, state="AK")

    from_adak = match(client, zip="99546", radius=200).json()
    assert ids_of(from_adak) == [adak.id, west.id]
    assert from_adak["results"][1]["distance"] == 173.8
    from_west = match(client, zip="96507", radius=174).json()
    assert ids_of(from_west) == [west.id, adak.id]
    assert ids(match(client, zip="96507", radius=173)) == [west.id]


def test_institutes_nearest(client):
    near = make_institute(name="Near Spine", **north_of_nyc(2))
    far = make_institute(name="Far Spine", **north_of_nyc(30))
    inactive = make_institute(name="Closed Spine", active=False)
    empty = make_institute(name="Empty Spine")
    farther_member = make_specialist(institute=near, **north_of_nyc(10))
    closer_member = make_specialist(institute=near, **north_of_nyc(3))
    make_specialist(institute=near, active=False)
    make_specialist(institute=near, treatments=("nerve-block",))
    far_member = make_specialist(institute=far, treatments=("spinal-cord-stimulation",))
    make_specialist(institute=inactive)
    make_specialist(institute=empty, boards=())

    body = client.get(
        "/api/v1/institutes/nearest/", {"zip": "10001", "treatment": "spinal-cord-stimulation"}
    ).json()

    assert [r["id"] for r in body["results"]] == [near.id, far.id]
    first = body["results"][0]
    assert first == {
        "id": near.id,
        "slug": near.slug,
        "name": "Near Spine",
        "phone": "+12125550123",
        "address": {
            "line1": near.address_line1,
            "line2": "",
            "city": "New York",
            "state": "NY",
            "zip": "10001",
            "latitude": near.latitude,
            "longitude": near.longitude,
        },
        "distance": 2.0,
        "url": f"/institutes/{near.slug}/",
        "specialists": [closer_member.id, farther_member.id],
    }
    assert body["results"][1]["specialists"] == [far_member.id]
    assert body["count"] == 2 and body["nearest_beyond_radius"] is None

    nothing_near = client.get("/api/v1/institutes/nearest/", {"zip": "33602"}).json()
    assert nothing_near["results"] == []
    assert nothing_near["nearest_beyond_radius"]["id"] == near.id


def test_treatments_list(client):
    body = client.get("/api/v1/treatments/").json()
    assert len(body) == Treatment.objects.count() == 12
    assert body[0] == {
        "slug": "spinal-hardware-removal",
        "name": "Spinal hardware removal",
        "summary": Treatment.objects.get(slug="spinal-hardware-removal").summary,
        "url": "/treatments/spinal-hardware-removal/",
    }
    assert {t["slug"] for t in body} >= {"spinal-cord-stimulation", "nerve-block"}


def test_index_follows_changes_made_after_a_search(client):
    first = make_specialist(**north_of_nyc(3))
    assert ids(match(client, zip="10001")) == [first.id]

    second = make_specialist(**north_of_nyc(1))
    assert ids(match(client, zip="10001")) == [second.id, first.id]

    first.active = False
    first.save()
    assert ids(match(client, zip="10001")) == [second.id]

    BoardCertification.objects.get(specialist=second).delete()
    assert ids(match(client, zip="10001")) == []

    BoardCertification.objects.create(specialist=second, board=Board.objects.get(code="ABA"))
    second.treatments.clear()
    assert ids(match(client, zip="10001", treatment="spinal-cord-stimulation")) == []
    assert ids(match(client, zip="10001")) == [second.id]


def test_index_rebuilds_when_the_date_moves(client, monkeypatch):
    today = timezone.localdate()
    lapses_today = make_specialist(expires_on=today)
    assert ids(match(client, zip="10001")) == [lapses_today.id]

    tomorrow = today + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    assert ids(match(client, zip="10001")) == []


def make_twelve_specialists_with_everything():
    for i in range(12):
        make_specialist(
            institute=make_institute(**north_of_nyc(i)),
            boards=("ABOS", "ABA", "ABNS"),
            treatments=("spinal-cord-stimulation", "nerve-block", "discectomy"),
            **north_of_nyc(i),
        )
    directory_index()  # this process's snapshot; its build is not what is measured here


def test_match_query_count_does_not_grow_with_the_number_of_results(
    client, django_assert_num_queries
):
    make_twelve_specialists_with_everything()

    # Every call also adds one to the marketing funnel's search tally (one upsert). Every
    # qualifying specialist's card is in the snapshot: only the directory version is read.
    with django_assert_num_queries(2):
        assert match(client, zip="10001", limit=1).json()["count"] == 1
    with django_assert_num_queries(2):
        assert match(client, zip="10001", limit=10).json()["count"] == 10
    with django_assert_num_queries(2):
        assert match(client, zip="10001", limit=10).json()["count"] == 10
    # A treatment is named from the snapshot too, at the cost of one more version read.
    with django_assert_num_queries(3):
        assert match(client, zip="10001", limit=10, treatment="nerve-block").json()["count"] == 10
    with django_assert_num_queries(2):
        body = match(client, zip="10001", limit=50, radius=500).json()
        assert body["count"] == 12


def test_institute_query_count_does_not_grow_with_the_number_of_results(
    client, django_assert_num_queries, django_assert_max_num_queries
):
    make_twelve_specialists_with_everything()
    # The directory version, and every institute, read once for the snapshot's base.
    queries = 2
    for limit in (1, 10):
        with django_assert_num_queries(queries):
            response = client.get("/api/v1/institutes/nearest/", {"zip": "10001", "limit": limit})
            assert response.json()["count"] == limit
        queries = 1  # the directory version
        # The treatment too.
        with django_assert_max_num_queries(3):
            response = client.get(
                "/api/v1/institutes/nearest/",
                {"zip": "10001", "limit": limit, "treatment": "nerve-block"},
            )
            assert response.json()["count"] == limit


def test_cached_cards_follow_changes(client):
    specialist = make_specialist(first_name="Old")
    assert match(client, zip="10001").json()["results"][0]["first_name"] == "Old"
    specialist.first_name = "New"
    specialist.save()
    assert match(client, zip="10001").json()["results"][0]["first_name"] == "New"
    BoardCertification.objects.create(specialist=specialist, board=Board.objects.get(code="ABA"))
    boards = match(client, zip="10001").json()["results"][0]["board_certifications"]
    assert [c["board"] for c in boards] == ["ABA", "ABOS"]
    Board.objects.filter(code="ABA").update(name="Renamed board")  # no signal: stays cached
    renamed = Board.objects.get(code="ABA")
    renamed.save()
    boards = match(client, zip="10001").json()["results"][0]["board_certifications"]
    assert boards[0]["board_name"] == "Renamed board"


def test_schema_describes_the_match_endpoints(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    for path in ("/api/v1/match/", "/api/v1/institutes/nearest/", "/api/v1/treatments/"):
        assert "get" in schema["paths"][path]
    match_get = schema["paths"]["/api/v1/match/"]["get"]
    assert {p["name"] for p in match_get["parameters"]} == {
        "zip",
        "treatment",
        "radius",
        "limit",
        "unit",
        "offset",
        "sort",
        "accepting",
        "telehealth",
        "language",
        "gender",
        "insurance",
        "specialty",
    }
    result = schema["components"]["schemas"]["SpecialistMatch"]["properties"]
    assert {"board_certifications", "treatments", "institute", "distance", "url"} <= set(result)


def test_query_serializer_reads_plain_dicts_like_query_strings():
    from matcher.apis import MatchQuerySerializer

    query = MatchQuerySerializer(
        data={"zip": "10001", "treatment": "", "radius": "", "limit": "", "unit": ""}
    )
    assert query.is_valid(), query.errors
    assert query.validated_data.origin.zip == "10001"
    assert (query.validated_data.treatment, query.validated_data.radius) == (None, 50.0)
    assert (query.validated_data.limit, query.validated_data.unit) == (10, "mi")

    bad = MatchQuerySerializer(data={"zip": ["10001"], "radius": ["5"], "limit": 2.0})
    assert not bad.is_valid()
    assert set(bad.errors) == {"zip", "radius", "limit"}


def test_cached_cards_have_exactly_the_documented_shape():
    from matcher.apis import SpecialistResultSerializer
    from matcher.selectors import SpecialistMatch, specialist_cards
    from specialists.models import Specialist

    today = timezone.localdate()
    made = [
        make_specialist(institute=make_institute(), boards=("ABOS", "ABA"), expires_on=today),
        make_specialist(institute=None, treatments=(), credentials="", address_line2="Fl 2"),
    ]
    BoardCertification.objects.filter(specialist=made[0], board__code="ABA").update(
        expires_on=today - datetime.timedelta(days=1)
    )
    specialists = list(Specialist.objects.with_profile().filter(pk__in=[s.pk for s in made]))

    cards = specialist_cards(ids=[s.pk for s in made])

    for specialist in specialists:
        documented = SpecialistResultSerializer(SpecialistMatch(specialist, None)).data
        assert cards[specialist.pk] == documented
        assert list(cards[specialist.pk]) == list(documented)


def test_a_flood_of_parameters_is_a_400_not_a_500(client):
    response = client.get("/api/v1/match/?" + "zip=10001&" * 2000)
    assert response.status_code == 400


def test_undecodable_bytes_are_a_400_on_the_field(client):
    response = client.get("/api/v1/match/?zip=%ED%A0%80%FF&radius=%FF")
    assert response.status_code == 400
    assert set(response.json()) == {"zip", "radius"}


def test_a_process_trusts_its_snapshot_for_the_recheck_interval(
    client, settings, django_assert_num_queries
):
    first = make_specialist(**north_of_nyc(3))
    settings.MATCH_INDEX_RECHECK_SECONDS = 60
    assert ids(match(client, zip="10001")) == [first.id]

    second = make_specialist(**north_of_nyc(1))
    with django_assert_num_queries(1):  # the funnel's tally only: no version read
        assert ids(match(client, zip="10001")) == [first.id]

    settings.MATCH_INDEX_RECHECK_SECONDS = 0
    assert ids(match(client, zip="10001")) == [second.id, first.id]
