"""The read APIs' short path answers exactly what DRF's full path answers.

An ordinary GET to /api/v1/match/ or /api/v1/institutes/nearest/ is answered without DRF's
request, negotiation, serializers and renderer, and (without cookies) without the session,
CSRF, authentication and messages middlewares. The oracle is DRF's own path, which a
request still takes with a ``format`` parameter and a cookie: the same URL, the same
middleware before the view, the serializers and renderer. For the match API the body is
also compared with the documented ``SpecialistResultSerializer`` over the specialists
loaded from the database. Random queries (hypothesis) mix valid, blank, borderline and bad
values, repeated parameters, languages and Accept headers: every status, header and byte
must agree.
"""

import datetime

import pytest
from django.http import QueryDict
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer

from core.i18n import in_default_language
from matcher.apis import (
    InstituteNearestApi,
    MatchQuerySerializer,
    SpecialistMatchApi,
    match_query_fast,
)
from matcher.selectors import SpecialistMatch, specialist_nearest_beyond, specialist_search
from specialists.facts import LANGUAGES
from specialists.models import BoardCertification
from tests.factories import make_institute, make_specialist

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/api/v1/match/", "/api/v1/institutes/nearest/"]
# Honolulu, Anchorage, San Juan and a point 5 m off the equator and prime meridian, where
# orjson and Python write coordinates differently ("0.00005" and "5e-05").
FAR = [(21.3069, -157.8583), (61.2181, -149.9003), (18.4655, -66.1057), (0.00005, -0.00003)]


@pytest.fixture
def directory():
    """Specialists and institutes around New York and far away, with every listing fact,
    odd names and expired certificates."""
    today = timezone.localdate()
    institutes = [
        make_institute(latitude=40.7484 + i / 50, longitude=-73.9967, phone="" if i else "+1")
        for i in range(4)
    ]
    institutes.append(make_institute(latitude=FAR[3][0], longitude=FAR[3][1]))
    names = ["O'Brien", 'Quote "Q"', "Núñez", "Line\u2028Sep", "Back\\slash", "Zoë", "lee"]
    for i in range(36):
        latitude, longitude = (
            FAR[i % 4] if i % 9 == 0 else (40.7484 + (i % 7) / 40, -73.9967 - (i % 5) / 40)
        )
        specialist = make_specialist(
            latitude=latitude,
            longitude=longitude,
            first_name=["Ana", "ana", "Émile", "Ben"][i % 4],
            last_name=names[i % len(names)],
            credentials=["MD", "", "DO, PhD"][i % 3],
            specialty=["Neurosurgery", "Pain medicine", "Physical medicine and rehabilitation"][
                i % 3
            ],
            institute=institutes[i % 5] if i % 3 else None,
            accepting_new_patients=i % 4 != 1,
            telehealth=i % 3 == 0,
            languages=["en", "en;es", "es;vi", "zh"][i % 4],
            gender=["F", "M", ""][i % 3],
            insurance=[("medicare",), ("medicaid", "tricare"), ()][i % 3],
            boards=("ABOS", "ABA") if i % 2 else ("ABNS",),
            expires_on=None if i % 5 else today,
            treatments=[("spinal-cord-stimulation", "nerve-block"), ("discectomy",), ()][i % 3],
            address_line2="Suite 4" if i % 2 else "",
        )
        if i % 6 == 5:  # a lapsed certificate beside a current one
            BoardCertification.objects.filter(specialist=specialist, board__code="ABA").update(
                expires_on=today - datetime.timedelta(days=1)
            )
    # Offered only by the specialist near 0°, 0°: empty searches point far away.
    make_specialist(latitude=FAR[3][0], longitude=FAR[3][1], treatments=("physical-therapy",))


ZIPS = ["10001", "10001-1234", "100011234", " 10001", "96813", "99501", "00901", "00000",
        "09001", "1000", "", "Austin, TX", "１０００１", "10001\x00"]  # fmt: skip
VALUES = {
    "zip": ZIPS,
    "treatment": ["", "spinal-cord-stimulation", "nerve-block", "physical-therapy",
                  " discectomy", "unicorn", "x" * 81, "NERVE-BLOCK"],
    "radius": ["", "1", "5", "50", "500", "500.0", "0.5", "501", "+25", " 25", "1e2", "ten",
               "2.5", "25.", ".5", "-5", "1" * 21],
    "limit": ["", "1", "3", "10", "50", "51", "0", "+3", "007", "2.5", " 4"],
    "offset": ["", "0", "2", "10", "10000", "10001", "-1", "1.0"],
    "unit": ["", "mi", "km", "MI", "furlong"],
    "sort": ["", "distance", "name", "Name"],
    "accepting": ["", "true", "false", "True", "1"],
    "telehealth": ["", "true", "false", "yes"],
    "language": ["", "es", "vi", "en", "ES", " es", "xx", "toolonglanguage"],
    "gender": ["", "female", "male", "F", "other"],
    "insurance": ["", "medicare", "medicaid", "tricare", "Medicare", "nothing"],
    "specialty": ["", "surgery", "pain-medicine", "rehabilitation", "podiatry"],
    "utm_source": ["newsletter", ""],
}  # fmt: skip
queries = st.fixed_dictionaries(
    {"zip": st.sampled_from(ZIPS[:7]) | st.sampled_from(ZIPS)},
    optional={
        name: st.sampled_from(values) | st.lists(st.sampled_from(values), min_size=2, max_size=3)
        for name, values in VALUES.items()
        if name != "zip"
    },
) | st.fixed_dictionaries(
    {}, optional={name: st.sampled_from(values) for name, values in VALUES.items()}
)
LANGUAGE_HEADERS = [None, "es", "es-MX,es;q=0.9", "fr"]
ACCEPT_HEADERS = [None, "*/*", "application/json", "text/html,application/json", "text/html",
                  "application/json; indent=2", "application/*;q=0.5", ""]  # fmt: skip


def headers(language, accept):
    found = {}
    if language is not None:
        found["HTTP_ACCEPT_LANGUAGE"] = language
    if accept is not None:
        found["HTTP_ACCEPT"] = accept
    return found


def through_drf(client, path, params, **extra):
    """The same request down DRF's full path: a format parameter sends the view to DRF,
    a cookie the request through every middleware."""
    client.cookies["probe"] = "1"
    try:
        return client.get(path, {**params, "format": "json"}, **extra)
    finally:
        del client.cookies["probe"]


def query_dict(params) -> QueryDict:
    """``params`` as Django reads them from a query string."""
    data = QueryDict(mutable=True)
    for name, value in params.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    return data


def documented_body(params) -> bytes:
    """The match API's body by the documented serializers, from specialists loaded from
    the database."""
    query = MatchQuerySerializer(data=query_dict(params))
    query.is_valid(raise_exception=True)
    query = query.validated_data
    matches, total = specialist_search(query)
    with in_default_language():
        beyond = None
        if not total:
            nearest = specialist_nearest_beyond(query)
            if nearest is not None:
                beyond = {
                    "id": nearest.specialist.id,
                    "name": nearest.specialist.display_name,
                    "distance": nearest.distance,
                    "url": nearest.specialist.get_absolute_url(),
                }
        data = SpecialistMatchApi.OutputSerializer(
            {
                "origin": query.origin,
                "treatment": query.treatment.slug if query.treatment else None,
                "radius": query.radius,
                "unit": query.unit,
                "count": len(matches),
                "total": total,
                "results": [SpecialistMatch(m.specialist, m.distance) for m in matches],
                "nearest_beyond_radius": beyond,
            }
        ).data
    return JSONRenderer().render(data)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    params=queries,
    path=st.sampled_from(ENDPOINTS),
    language=st.sampled_from(LANGUAGE_HEADERS),
    accept=st.sampled_from(ACCEPT_HEADERS),
)
def test_every_answer_is_drfs_to_the_byte(client, directory, params, path, language, accept):
    extra = headers(language, accept)
    lean = client.get(path, params, **extra)
    drf = through_drf(client, path, params, **extra)

    assert lean.status_code == drf.status_code
    assert lean.content == drf.content
    assert dict(lean.headers) == dict(drf.headers)
    assert lean.status_code in (200, 400, 406)
    if path == ENDPOINTS[0] and lean.status_code == 200 and "indent" not in (accept or ""):
        assert lean.content == documented_body(params)


@pytest.mark.parametrize(
    "params",
    [
        {"zip": "10001"},
        {"zip": "10001", "radius": "5", "limit": "3"},
        {"zip": "10001", "radius": "500", "limit": "50", "offset": "3", "sort": "name"},
        {"zip": "10001", "treatment": "physical-therapy"},  # empty: the nearest is near 0°, 0°
        {"zip": "96813", "radius": "1", "treatment": "discectomy"},  # empty: the nearest beyond
        {"zip": "99501", "radius": "1", "treatment": "intrathecal-drug-delivery"},  # nobody
        {"zip": "10001", "accepting": "true", "language": "es", "gender": "female"},
        {"zip": "10001", "insurance": "medicaid", "telehealth": "true", "unit": "km"},
        {"zip": "10001", "specialty": "pain-medicine", "radius": "500", "offset": "2"},
    ],
)
@pytest.mark.parametrize("path", ENDPOINTS)
def test_plain_searches_take_the_short_path_and_answer_the_same(
    client, directory, monkeypatch, path, params
):
    expected = through_drf(client, path, params)
    assert expected.status_code == 200

    def refuse(*args, **kwargs):
        raise AssertionError("DRF's view was used")

    # The short path, even behind a cookie (only the middlewares are then all run).
    monkeypatch.setattr(SpecialistMatchApi, "dispatch", refuse)
    monkeypatch.setattr(InstituteNearestApi, "dispatch", refuse)
    answers = [client.get(path, params)]
    client.cookies["probe"] = "1"
    answers.append(client.get(path, params))
    for answer in answers:
        assert answer.content == expected.content
        assert dict(answer.headers) == dict(expected.headers)
    if path == ENDPOINTS[0]:
        assert answers[0].content == documented_body(params)


def test_a_cookieless_search_skips_the_session_middlewares(client, directory, monkeypatch):
    from django.contrib.sessions.middleware import SessionMiddleware

    def refuse(*args, **kwargs):
        raise AssertionError("the session middleware ran")

    monkeypatch.setattr(SessionMiddleware, "process_request", refuse)
    response = client.get("/api/v1/match/", {"zip": "10001"})
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response
    # Anything else still goes the whole way.
    with pytest.raises(AssertionError, match="session middleware"):
        client.get("/api/v1/treatments/")


def test_a_database_outage_is_still_a_503(client, directory, monkeypatch):
    from django.db import OperationalError

    def unreachable(*args, **kwargs):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr("matcher.apis.specialist_search_card_bytes", unreachable)
    response = client.get("/api/v1/match/", {"zip": "10001"})
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "detail": "Temporarily unavailable, please try again in a few seconds."
    }


# --- The parameters ------------------------------------------------------------------------


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(params=queries)
def test_the_fast_reading_agrees_with_the_serializer(db, params):
    data = query_dict(params)
    fast = match_query_fast(data)
    parsed = MatchQuerySerializer(data=data)
    if fast is not None:
        assert parsed.is_valid(), parsed.errors
        assert fast == parsed.validated_data


@pytest.mark.parametrize(
    "query",
    [
        "zip=10001",
        "zip=10001-1234&treatment=nerve-block&radius=25.5&limit=50&unit=km",
        "zip=100011234&offset=10000&sort=name&accepting=true&telehealth=false",
        "zip=96813&language=es&gender=female&insurance=medicare&specialty=surgery",
        "zip=10001&radius=&limit=&unit=&treatment=&language=&utm_source=x",
        "zip=00000&zip=10001",  # the last value counts
    ],
)
def test_plain_parameters_are_read_fast(db, query):
    data = QueryDict(query)
    parsed = MatchQuerySerializer(data=data)
    assert parsed.is_valid(), parsed.errors
    assert match_query_fast(data) == parsed.validated_data


def test_language_codes_are_written_as_the_serializer_returns_them():
    assert all(code == code.strip().lower() for code in LANGUAGES)


def test_the_schema_is_the_drf_views_schema(client, monkeypatch):
    """The served schema equals the one generated with DRF's own views in the short
    paths' place."""
    from django.urls import get_resolver
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    def patterns(resolver):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from patterns(pattern)
            else:
                yield pattern

    replaced = 0
    for pattern in patterns(get_resolver()):
        # The search page is sessionless too, but no API view.
        if getattr(pattern.callback, "sessionless", False) and hasattr(pattern.callback, "cls"):
            monkeypatch.setattr(pattern, "callback", pattern.callback.__wrapped__)
            replaced += 1
    assert replaced == 2
    generated = OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True))
    monkeypatch.undo()
    served = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert served.status_code == 200
    assert served.content == generated


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=12,
)


def floats_in(value):
    if isinstance(value, float):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from floats_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from floats_in(item)


@settings(max_examples=500, deadline=None)
@given(data=st.dictionaries(st.text(), json_values))
def test_json_bytes_are_drfs_renderer_bytes(data):
    from core.api import json_bytes

    assert json_bytes(data, floats=floats_in(data)) == JSONRenderer().render(data)


@settings(max_examples=2000, deadline=None)
@given(value=st.floats(allow_nan=False, allow_infinity=False))
def test_a_float_is_written_as_drfs_renderer_writes_it(value):
    from core.api import json_float

    assert json_float(value) == JSONRenderer().render(value)
