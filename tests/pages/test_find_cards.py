"""/find/'s result cards, step 2's choices and the nearby institutes, written in Python from
the index's snapshot (``pages.listings``), are the bytes the templates rendered for the same
specialists and institutes loaded through the ORM (``includes/specialist_card.html``, and
the loops below as they stood in ``includes/step_two.html`` and ``pages/find.html``), on
random directories and random searches in both languages."""

import datetime
import random
import re
from dataclasses import replace
from urllib.parse import urlencode

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from matcher.apis import MatchQuerySerializer
from matcher.selectors import (
    institute_nearest,
    specialist_nearest_beyond,
    specialist_search,
    specialist_search_listings,
)
from pages.listings import Listing
from specialists.facts import LANGUAGES
from specialists.models import Board, InsurancePlan, Specialist, Treatment
from tests.factories import make_institute, make_specialist

# Where the random directory's people practise: Manhattan, Los Angeles, San Juan (off the
# map); searches also start from Anchorage, where nobody practises.
PLACES = [
    ("10001", "New York", "NY", 40.7484, -73.9967),
    ("90012", "Los Angeles", "CA", 34.0614, -118.2385),
    ("00901", "San Juan", "PR", 18.4655, -66.1057),
]
SEARCH_ZIPS = ["10001", "90012", "00901", "99501", "New York, NY"]
TRICKY = ["O'Brien", "Smith & Wesson", 'Dr "Doc"', "<b>Núñez</b>", "Zoë", "Lee"]
SPECIALTIES = ["Orthopaedic spine surgery", "Pain medicine", "Neurosurgery", "Chiropractic"]
CHOOSER_TEMPLATE = Template(
    """{% load i18n %}{% for option in chooser %}{% with specialist=option.specialist %}
      <li class="check">
        <input id="choose-{{ specialist.pk }}" name="specialists" type="checkbox" value="{{ specialist.pk }}" data-name="{{ specialist.display_name }}"{% if option.checked %} checked{% endif %}>
        <label for="choose-{{ specialist.pk }}">{{ specialist.display_name }} <span class="muted">· {% if option.distance is not None %}{% blocktranslate with miles=option.distance|floatformat:"1g" %}{{ miles }}&nbsp;mi{% endblocktranslate %}, {% endif %}{{ specialist.city }}, {{ specialist.state }}</span></label>
      </li>
      {% endwith %}{% endfor %}"""  # noqa: E501
)
INSTITUTES_TEMPLATE = Template(
    """{% load content i18n %}{% for match in search.institutes %}
          <li class="card">
            <a class="institute-name" href="{{ match.institute.get_absolute_url }}">{{ match.institute.name }}</a>
            <span class="distance">{% blocktranslate with distance=match.distance|floatformat:"1g" %}<strong>{{ distance }} mi</strong> away{% endblocktranslate %}</span>
            <span class="muted">{{ match.institute.city }}, {{ match.institute.state }} · {% if search.treatment %}{% blocktranslate count counter=match.specialist_ids|length %}{{ counter }} specialist offering this treatment{% plural %}{{ counter }} specialists offering this treatment{% endblocktranslate %}{% else %}{% blocktranslate count counter=match.specialist_ids|length %}{{ counter }} specialist{% plural %}{{ counter }} specialists{% endblocktranslate %}{% endif %}</span>
            {% if match.institute.phone %}<a href="tel:{{ match.institute.phone }}">{% blocktranslate with phone=match.institute.phone|us_phone %}Call {{ phone }}{% endblocktranslate %}</a>{% endif %}
          </li>
          {% endfor %}"""  # noqa: E501
)
_CHOICES = re.compile(r'<ul class="plain choices">\n      (.*?)\n    </ul>', re.DOTALL)
_INSTITUTES = re.compile(r'<ul class="institute-list">\n          (.*?)\n        </ul>', re.DOTALL)
_CARD = re.compile(r'\n<article class="card result".*?</article>\n', re.DOTALL)
_ID = re.compile(r'id="result-(\d+)"')


def _random_directory(rng: random.Random) -> None:
    boards = list(Board.objects.values_list("code", flat=True))
    treatments = list(Treatment.objects.values_list("slug", flat=True))
    plans = list(InsurancePlan.objects.values_list("slug", flat=True))
    institutes = [
        make_institute(name=f"{rng.choice(TRICKY)} Spine Center {n}", active=n != 1)
        for n in range(3)
    ]
    today = timezone.localdate()
    for n in range(45):
        zip_code, city, state, latitude, longitude = rng.choice(PLACES)
        make_specialist(
            first_name=rng.choice(TRICKY),
            last_name=f"{rng.choice(TRICKY)}{n}",
            credentials=rng.choice(["MD", "DO", "", "MD, PhD"]),
            specialty=rng.choice(SPECIALTIES),
            address_line2=rng.choice(["", "Suite 5 & 6"]),
            city=city,
            state=state,
            zip=zip_code,
            latitude=latitude + rng.uniform(-0.6, 0.6),
            longitude=longitude + rng.uniform(-0.6, 0.6),
            institute=rng.choice([None, *institutes]),
            accepting_new_patients=rng.random() < 0.7,
            telehealth=rng.random() < 0.5,
            languages=";".join(sorted(rng.sample(sorted(LANGUAGES), rng.randint(0, 3)))),
            boards=rng.sample(boards, rng.randint(1, 3)),
            expires_on=rng.choice([None, today, today + datetime.timedelta(days=400)]),
            treatments=rng.sample(treatments, rng.randint(0, 3)),
            insurance=rng.sample(plans, rng.randint(0, 3)),
            phone=rng.choice(["+12125550100", "+17875550111"]),
        )


def _random_search(rng: random.Random) -> dict:
    params = {"zip": rng.choice(SEARCH_ZIPS)}
    if rng.random() < 0.4:
        params["treatment"] = rng.choice(list(Treatment.objects.values_list("slug", flat=True)))
    for name, values in (
        ("radius", ["10", "50", "250", "3000"]),
        ("accepting", ["true", "maybe"]),
        ("telehealth", ["true"]),
        ("language", ["es", "en", "fr", "xx"]),
        ("sort", ["name", "distance"]),
        ("page", ["2", "3"]),
    ):
        if rng.random() < 0.3:
            params[name] = rng.choice(values)
    return params


def _expected(params: dict) -> dict | None:
    """The cards, step 2's choices and the institutes as the page rendered them before the
    snapshot did: the ORM's profiles and institutes through the templates; None for a
    search the page refuses."""
    parsed = MatchQuerySerializer(
        data={k: v for k, v in params.items() if k != "page"}, context={"places": True}
    )
    if not parsed.is_valid():
        return None
    page = int(params.get("page", 1))
    query = replace(parsed.validated_data, unit="mi", limit=10, offset=(page - 1) * 10)
    matches, total = specialist_search(query)
    cards = [
        render_to_string(
            "includes/specialist_card.html",
            {"specialist": match.specialist, "distance": match.distance, "number": number},
        )
        for number, match in enumerate(matches, start=query.offset + 1)
    ]
    if not total:
        beyond = specialist_nearest_beyond(query)
        if beyond:
            cards.append(
                render_to_string(
                    "includes/specialist_card.html",
                    {"specialist": beyond.specialist, "distance": beyond.distance},
                )
            )
    # Step 2: those accepting new patients, nearest first, the nearest three ticked.
    accepting = sorted(
        (match for match in matches if match.specialist.accepting_new_patients),
        key=lambda match: match.distance,
    )
    chooser = [
        {"specialist": match.specialist, "distance": match.distance, "checked": n < 3}
        for n, match in enumerate(accepting)
    ]
    institutes = institute_nearest(replace(query, limit=5, offset=0, sort="distance"))
    search = {"institutes": institutes, "treatment": query.treatment}
    return {
        "cards": "".join(cards),
        "chooser": CHOOSER_TEMPLATE.render(Context({"chooser": chooser})) if chooser else None,
        "institutes": INSTITUTES_TEMPLATE.render(Context({"search": search}))
        if institutes
        else None,
    }


def _found(pattern: re.Pattern, html: str) -> str | None:
    found = pattern.search(html)
    return found and found.group(1)


@pytest.mark.parametrize("seed", range(4))
def test_cards_choices_and_institutes_are_the_templates_bytes_in_both_languages(client, db, seed):
    rng = random.Random(seed)
    _random_directory(rng)
    compared = 0
    for _ in range(30):
        params = _random_search(rng)
        for language, path in (("en", "/find/"), ("es", "/es/find/")):
            response = client.get(f"{path}?{urlencode(params)}")
            html = response.content.decode()
            with translation.override(language):
                expected = _expected(params)
            assert response.status_code == (200 if expected is not None else 400), params
            if expected is None:
                assert not _CARD.findall(html), params
                continue
            assert "".join(_CARD.findall(html)) == expected["cards"], (language, params)
            assert _found(_CHOICES, html) == expected["chooser"], (language, params)
            assert _found(_INSTITUTES, html) == expected["institutes"], (language, params)
            compared += expected["cards"].count("<article")
    assert compared > 50


@pytest.mark.parametrize("language", ["en", "es"])
def test_listings_read_as_the_model_does(client, db, language):
    """What the map and step 2 read of a result (names, places, coordinates, links)."""
    _random_directory(random.Random(7))
    parsed = MatchQuerySerializer(data={"zip": "10001"}, context={})
    assert parsed.is_valid()
    with translation.override(language):
        query = replace(parsed.validated_data, radius=None, limit=50)
        found, _ = specialist_search_listings(query)
        assert found
        for listing in found:
            ours = Listing(listing.card)
            model = Specialist.objects.get(pk=ours.pk)
            for name in ("display_name", "city", "state", "accepting_new_patients"):
                assert getattr(ours, name) == getattr(model, name)
            assert (ours.latitude, ours.longitude) == (model.latitude, model.longitude)
            assert ours.get_absolute_url() == model.get_absolute_url()


def test_edits_show_on_the_next_search_cards_institutes_and_filters(client, db):
    """Nothing kept per snapshot outlives it: a listing edit shows on the next search
    (MATCH_INDEX_RECHECK_SECONDS is 0 in tests), in the cards, the institutes and the
    filter choices, in both languages."""
    institute = make_institute(name="Old Spine Center", phone="+12125550123")
    doctor = make_specialist(last_name="Before", institute=institute, languages="")
    for path in ("/find/?zip=10001", "/es/find/?zip=10001"):
        html = client.get(path).content.decode()
        assert "Before" in html and "Old Spine Center" in html
        assert 'value="vi"' not in html

    doctor.last_name = "After"
    doctor.telehealth = True
    doctor.languages = "vi"
    doctor.save()
    institute.name = "New Spine Center"
    institute.phone = "+12125550199"
    institute.save()
    for path, telehealth in (
        ("/find/?zip=10001", "Telehealth visits"),
        ("/es/find/?zip=10001", None),
    ):
        html = client.get(path).content.decode()
        assert "After" in html and "Before" not in html
        assert "New Spine Center" in html and "Old Spine Center" not in html
        assert "(212) 555-0199" in html
        assert 'value="vi"' in html  # the language filter offers what someone now speaks
        if telehealth:
            assert telehealth in html


MAP_LOOPS_TEMPLATE = Template(
    """{% load l10n %}{% localize off %}{% for label in map.labels %}<text x="{{ label.x }}" y="{{ label.y }}">{{ label.text }}</text>{% endfor %}|{% for marker in map.markers %}<g class="map-marker">
      {% if marker.is_pill %}<rect x="{{ marker.left }}" y="{{ marker.top }}" width="{{ marker.width }}" height="{{ marker.height }}" rx="{{ marker.radius }}" stroke-width="{{ map.stroke }}"/>
      {% else %}<circle cx="{{ marker.x }}" cy="{{ marker.y }}" r="{{ map.marker_radius }}" stroke-width="{{ map.stroke }}"/>{% endif %}
      <text x="{{ marker.x }}" y="{{ marker.y }}" font-size="{{ map.font_size }}" text-anchor="middle" dominant-baseline="central">{{ marker.label }}</text>
    </g>{% endfor %}{% endlocalize %}"""  # noqa: E501
)


MAP_TEMPLATE = Template(
    """{% load i18n l10n memo %}<figure class="results-map">
  {% localize off %}<svg viewBox="{{ map.view_box }}" role="img" aria-labelledby="map-title map-desc" preserveAspectRatio="xMidYMid meet" focusable="false">
    <title id="map-title">{% translate "Map of the specialists on this page" %}</title>
    <desc id="map-desc">{{ map.description }}</desc>
    <rect class="map-sea" x="-1000" y="-1000" width="3000" height="3000"/>
    <g class="map-states">{% memo map.states %}{% for path in map.states %}<path d="{{ path }}" vector-effect="non-scaling-stroke"/>{% endfor %}{% endmemo %}</g>
    <g class="map-labels" font-size="{{ map.label_size }}" text-anchor="middle">{{ map.labels_svg }}</g>
    {% if map.scale %}<g class="map-scale" font-size="{{ map.label_size }}"><path d="M{{ map.scale.x }},{{ map.scale.y }}h{{ map.scale.length }}" vector-effect="non-scaling-stroke"/><text x="{{ map.scale.x }}" y="{{ map.scale.y }}" dy="-0.5em">{% blocktranslate count miles=map.scale.miles %}{{ miles }} mile{% plural %}{{ miles }} miles{% endblocktranslate %}</text></g>{% endif %}
    {% if map.origin %}
    {% if map.radius %}<circle class="map-radius" cx="{{ map.origin.0 }}" cy="{{ map.origin.1 }}" r="{{ map.radius }}" vector-effect="non-scaling-stroke"/>{% endif %}
    <circle class="map-origin" cx="{{ map.origin.0 }}" cy="{{ map.origin.1 }}" r="{{ map.marker_radius }}" stroke-width="{{ map.stroke }}"/>
    <circle class="map-origin-dot" cx="{{ map.origin.0 }}" cy="{{ map.origin.1 }}" r="{{ map.origin_dot }}"/>
    {% endif %}
    {{ map.markers_svg }}
  </svg>{% endlocalize %}
  <figcaption>
    <span class="map-key"><span class="key-marker" aria-hidden="true">1</span> {% translate "Numbers match the list below." %}</span>
    {% if map.origin %}<span class="map-key"><span class="key-origin" aria-hidden="true"></span> {% translate "Where you searched from" %}{% if map.radius %}, {% translate "with the distance you chose" %}{% endif %}.</span>{% endif %}
    {% if map.off_map %}<span class="map-off">{% translate "Not on the map:" %} {% for number, listing in map.off_map %}{{ number }}. {{ listing.display_name }} ({{ listing.city }}, {{ listing.state }}){% if not forloop.last %}; {% endif %}{% endfor %}</span>{% endif %}
  </figcaption>
</figure>
"""  # noqa: E501
)


@pytest.mark.parametrize("language", ["en", "es"])
def test_map_labels_and_markers_are_the_templates_bytes(language):
    """The map, written in Python, as its template wrote it (the labels and markers as
    its loops did): random results (several at one place make a pill, some in Puerto
    Rico are off the map) around random ZIPs, within random radiuses."""
    from types import SimpleNamespace

    from geo.gazetteer import located_zip_places
    from pages.maps import results_map

    rng = random.Random(11)
    places = located_zip_places()
    drawn = off_map = 0
    with translation.override(language):
        for _ in range(60):
            origin = rng.choice(places)
            spots = [
                (origin.latitude + rng.uniform(-1, 1), origin.longitude + rng.uniform(-1, 1))
                for _ in range(rng.randint(1, 6))
            ]
            if rng.random() < 0.3:
                spots.append((18.4655, -66.1057))
            results = [
                (
                    number,
                    SimpleNamespace(
                        latitude=latitude,
                        longitude=longitude,
                        display_name=f"{rng.choice(TRICKY)} {number}",
                        city=rng.choice(TRICKY),
                        state="NY",
                    ),
                )
                for number, (latitude, longitude) in enumerate(
                    (rng.choice(spots) for _ in range(rng.randint(1, 10))), start=1
                )
            ]
            radius = rng.choice([0, 5, 50, 250])
            drawn_map = results_map(origin=origin, radius_miles=radius, results=results)
            if drawn_map is None:
                continue
            drawn += 1
            expected = MAP_LOOPS_TEMPLATE.render(Context({"map": drawn_map}))
            assert f"{drawn_map.labels_svg}|{drawn_map.markers_svg}" == expected
            assert drawn_map.html == MAP_TEMPLATE.render(Context({"map": drawn_map}))
            off_map += bool(drawn_map.off_map)
    assert drawn > 30
    assert off_map > 3


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.mark.parametrize("seed", range(2))
def test_memoised_parts_never_carry_another_searchs_values(client, db, seed):
    """Each page rendered after others have filled the kept parts ({% memo %}) equals the
    page rendered with nothing kept: every value a kept part reads is in its key. Searches
    with filters, errors and failed step 2 posts, in both languages."""
    from pages import frames
    from pages.templatetags import memo

    rng = random.Random(100 + seed)
    _random_directory(rng)
    for n in range(40):
        params = _random_search(rng)
        if rng.random() < 0.3:
            params["utm_source"] = rng.choice(["mail", "ads"])
        path = rng.choice(["/find/", "/es/find/"])
        if n % 5 == 4:
            data = {**params, "first_name": rng.choice(["", "Ana"]), "email": "not-an-email"}
            request = lambda data=data, path=path: client.post(path, data)  # noqa: E731
        else:
            request = lambda params=params, path=path: client.get(path, params)  # noqa: E731
        warm = request()
        memo._kept[1].clear()
        frames._kept[1].clear()  # else a kept frame answers without rendering a part
        cold = request()
        assert warm.status_code == cold.status_code
        assert _CSRF.sub("", warm.content.decode()) == _CSRF.sub("", cold.content.decode()), (
            path,
            params,
        )
        assert len(memo._kept[1]) > 3


PAGER_TEMPLATE = Template(
    """{% load i18n %}<nav class="pager" aria-label="{% translate 'Result pages' %}">
  {% if pager.previous %}<a class="button secondary" href="{{ pager.previous }}" rel="prev">{% translate "Previous" %}</a>{% endif %}
  <ul class="pages">
    {% for item in pager.numbers %}{% if item %}<li>{% if item.number == page %}<span aria-current="page">{% blocktranslate with number=item.number %}<span class="visually-hidden">Page </span>{{ number }}{% endblocktranslate %}</span>{% else %}<a href="{{ item.url }}">{% blocktranslate with number=item.number %}<span class="visually-hidden">Page </span>{{ number }}{% endblocktranslate %}</a>{% endif %}</li>{% else %}<li aria-hidden="true">…</li>{% endif %}{% endfor %}
  </ul>
  {% if pager.next %}<a class="button secondary" href="{{ pager.next }}" rel="next">{% translate "Next" %}</a>{% endif %}
</nav>
"""  # noqa: E501
)


@pytest.mark.parametrize("language", ["en", "es"])
def test_pager_is_the_templates_bytes(language):
    """The pager's navigation as ``includes/pager.html`` rendered it, for every page of
    results up to 31 pages, with the patient's own search and campaign tags in the links."""
    from pages.views.search import _pager

    with translation.override(language):
        for page_count in range(2, 32):
            for page in range(1, page_count + 1):
                params = {"zip": "Austin, TX", "language": "es", "utm_source": "a&b<c>"}
                pager = _pager(params, page, page_count)
                for item in filter(None, pager["numbers"]):
                    number = {"page": str(item["number"])} if item["number"] > 1 else {}
                    assert item["url"] == f"{reverse('find')}?{urlencode({**params, **number})}"
                expected = PAGER_TEMPLATE.render(
                    Context({"pager": pager, "page": page, "page_count": page_count})
                )
                assert pager["html"] == expected, (page, page_count)


def test_directions_query_values_are_quote_plus_to_the_byte():
    """Every ASCII character, and text that is not ASCII, as ``quote_plus`` writes it."""
    from urllib.parse import quote_plus

    from pages.listings import query_value

    rng = random.Random(11)
    texts = ["".join(chr(code) for code in range(128)), "12 Main St, Suite #4/B, Nueva Añasco, PR"]
    alphabet = [chr(code) for code in range(128)] + list("ñé–·中😀")
    texts += ["".join(rng.choices(alphabet, k=rng.randint(0, 60))) for _ in range(500)]
    for text in texts:
        assert query_value(text) == quote_plus(text), text
