"""/find/ as patients choose: a city or their location, filters, pages, the map, and step 2's
list of who receives the request; profiles, the thank-you page and the home page's claim."""

import re

import pytest

from leads.models import Lead
from tests.factories import make_institute, make_specialist

from .conftest import NYC
from .html import read, widget

pytestmark = pytest.mark.django_db


def north(miles: float) -> dict:
    return {"latitude": NYC["latitude"] + miles / 69.09, "longitude": NYC["longitude"]}


@pytest.fixture
def twelve(db):
    """Twelve specialists one to twelve miles north of 10001: the odd ones speak Spanish,
    the fourth does not take new patients."""
    return [
        make_specialist(
            first_name="Doc",
            last_name=f"N{miles:02d}",
            languages="en;es" if miles % 2 else "en",
            accepting_new_patients=miles != 4,
            insurance=("medicare",) if miles < 6 else (),
            **north(miles),
        )
        for miles in range(1, 13)
    ]


def step_two(response):
    (form,) = [f for f in read(response).forms if f.attrs.get("method") == "post"]
    return form


def ticked(html: str) -> list[str]:
    return re.findall(r'name="specialists" type="checkbox" value="(\d+)"[^>]*checked', html)


def test_a_city_and_state_searches_from_the_city(client, twelve):
    response = client.get("/find/", {"zip": "New York, NY"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Spine specialists near New York, NY</h1>" in html
    assert widget(response).inputs["zip"]["value"] == "New York, NY"
    assert re.fullmatch(r"1\d{4}", step_two(response).inputs["zip"]["value"])
    assert "12 board-certified specialists within 50 miles" in html


def test_places_that_cannot_be_placed_are_explained_next_to_the_field(client, db):
    unknown = client.get("/find/", {"zip": "Sprngfield"})
    assert unknown.status_code == 400
    html = unknown.content.decode()
    assert '<p class="field-error" id="zip-error">Enter a 5-digit US ZIP code.</p>' in html
    assert 'id="zip-error-2">We found no US city called Sprngfield.' in html
    assert widget(unknown).inputs["zip"]["aria-describedby"] == "zip-error zip-error-2"
    several = client.get("/find/", {"zip": "Springfield"}).content.decode()
    assert "Several places are called Springfield" in several


def test_use_my_location_goes_on_from_the_nearest_zip_and_forgets_the_coordinates(client, db):
    response = client.get(
        "/find/", {"near": "40.7506,-73.9972", "treatment": "nerve-block", "zip": "", "page": "3"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/find/?zip=10001&treatment=nerve-block"
    for near, message in [
        ("somewhere", "We could not read your location."),
        ("91,0", "We could not read your location."),
        ("51.5074,-0.1278", "Your location is not in the United States."),
    ]:
        refused = client.get("/find/", {"near": near})
        assert refused.status_code == 400
        assert message in refused.content.decode()


def test_filters_narrow_the_results_and_are_kept_in_the_form(client, twelve):
    response = client.get(
        "/find/", {"zip": "10001", "language": "es", "accepting": "true", "insurance": "medicare"}
    )
    html = response.content.decode()
    assert "3 board-certified specialists within 50 miles" in html
    assert "Only: Accepting new patients · Speaks Spanish · Takes Medicare" in html
    assert [s for s in ("Doc N01", "Doc N03", "Doc N05", "Doc N02") if s in html] == [
        "Doc N01", "Doc N03", "Doc N05",
    ]  # fmt: skip
    form = widget(response)
    assert form.inputs["accepting"].get("checked") == ""
    assert (form.selects["language"], form.selects["insurance"]) == ("es", "medicare")
    # Folded (the summary says how many are on), so results stay near the top on a phone.
    assert '<details class="filters">' in html and "(3 on)" in html
    assert 'href="/find/?zip=10001"' in html  # clear filters


def test_bad_filter_values_are_shown_next_to_their_control(client, db):
    response = client.get("/find/", {"zip": "10001", "language": "xx", "gender": "other"})
    assert response.status_code == 400
    form = widget(response)
    html = response.content.decode()
    assert 'id="language-error">Unknown language' in html
    assert 'id="gender-error">Enter female or male.' in html
    assert "<details class=\"filters\" open>" in html
    assert "Step 2 of 2" not in html
    assert form.selects["gender"] is None


def test_pages_show_the_true_total_and_link_each_other(client, twelve):
    first = client.get("/find/", {"zip": "New York, NY", "language": "es"})
    html = first.content.decode()
    assert "6 board-certified specialists" in html and "Showing 1–6 of 6." in html
    everyone = client.get("/find/", {"zip": "10001", "utm_source": "ads"}).content.decode()
    assert "12 board-certified specialists within 50 miles" in everyone
    assert "Showing 1–10 of 12." in everyone
    assert 'href="/find/?zip=10001&amp;utm_source=ads&amp;page=2" rel="next"' in everyone
    second = client.get("/find/", {"zip": "10001", "page": "2"}).content.decode()
    assert "Showing 11–12 of 12." in second
    assert "Doc N11" in second and "Doc N01" not in second.split("Step 2 of 2")[0]
    assert '<span class="visually-hidden">11. </span>Doc N11, MD' in second
    past = client.get("/find/", {"zip": "10001", "page": "5"}).content.decode()
    assert "There are only 2 pages of results." in past
    for bad in ("0", "two", "99999"):
        refused = client.get("/find/", {"zip": "10001", "page": bad})
        assert refused.status_code == 400
        assert "Enter a page number from 1 to 1001." in refused.content.decode()


def test_the_map_draws_the_page_with_numbered_markers(client, db):
    make_specialist(last_name="Near", **north(1))
    make_specialist(last_name="Also", **north(5))
    html = client.get("/find/", {"zip": "10001"}).content.decode()
    assert '<svg viewBox="' in html and 'role="img" aria-labelledby="map-title map-desc"' in html
    start = html.index('<svg viewBox="')
    svg = html[start : html.index("</svg>", start)]
    assert "http" not in svg and "style=" not in svg
    assert "with markers 1, 2 showing where those specialists practise" in svg
    for number in ("1", "2"):
        marker = rf'<text x="[\d.]+" y="[\d.]+" font-size="[\d.]+"[^>]*>{number}</text>'
        assert re.search(marker, svg)
    assert "<path d=\"M" in svg  # state outlines from us-atlas


def test_places_the_map_leaves_out_are_named_beside_it(db):
    from geo.gazetteer import zip_place
    from pages.maps import results_map

    near = make_specialist(last_name="Near", **north(1))
    island = make_specialist(
        last_name="Island", city="San Juan", state="PR", latitude=18.4655, longitude=-66.1057
    )
    drawn = results_map(
        origin=zip_place("10001"), radius_miles=50, results=[(1, near), (2, island)]
    )
    assert drawn.off_map == [(2, island)]
    assert [marker.numbers for marker in drawn.markers] == [[1]]
    assert results_map(origin=zip_place("00901"), radius_miles=50, results=[(1, island)]) is None


def test_a_search_the_map_cannot_show_says_so(client, db):
    make_specialist(city="San Juan", state="PR", zip="00901", latitude=18.4655, longitude=-66.1057)
    html = client.get("/find/", {"zip": "00901"}).content.decode()
    assert "<svg viewBox" not in html
    assert "Our map covers the 50 states and the District of Columbia" in html


def test_step_two_lists_who_receives_the_request_the_nearest_three_ticked(client, twelve):
    html = client.get("/find/", {"zip": "10001"}).content.decode()
    step = html[html.index('id="step-2"') :]
    ids = [str(s.id) for s in twelve]
    assert ticked(step) == ids[:3]
    # Not accepting new patients: not offered.
    assert f'value="{twelve[3].id}"' not in step
    assert "the specialists I chose (<span data-consent-names>Doc N01, MD, Doc N02, MD and " in step


def test_a_choice_of_more_than_five_is_refused_with_the_ticks_kept(client, twelve):
    payload = {
        "zip": "10001", "first_name": "Pat", "last_name": "Patient", "email": "p@example.com",
        "phone": "212-555-0142", "consent": "true",
        "specialists": [str(s.id) for s in twelve[4:10]],
        "message": "Line one\nLine two " + "x" * 2100,
    }  # fmt: skip
    response = client.post("/find/", payload)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="specialists-error">Choose at most 5 specialists.' in html
    assert ticked(html) == [str(s.id) for s in twelve[4:10]]
    # The message comes back whole, line breaks and all, with how long it is.
    assert "Line one\nLine two " + "x" * 2100 + "</textarea>" in html
    assert "Please keep your message to 2000 characters or fewer (it has 2118)." in html
    assert Lead.objects.count() == 0

    payload.update(specialists=[str(twelve[6].id)], message="")
    assert client.post("/find/", payload).status_code == 302
    assert [m.specialist_id for m in Lead.objects.get().matches.all()] == [twelve[6].id]


def test_a_profile_requests_with_its_specialist_chosen_from_the_patients_search(client, twelve):
    doctor = twelve[10]
    plain = client.get(doctor.get_absolute_url()).content.decode()
    assert f'href="/find/?zip=10001&amp;specialist={doctor.id}#step-2"' in plain
    from_search = client.get(
        doctor.get_absolute_url(),
        HTTP_REFERER="http://testserver/find/?zip=New+York%2C+NY&treatment=spinal-cord-stimulation&page=2",
    ).content.decode()
    found = re.search(r'href="/find/\?zip=(\d{5})&amp;treatment=spinal-cord-stimulation'
                      rf'&amp;specialist={doctor.id}#step-2"', from_search)  # fmt: skip
    assert found and found.group(1).startswith("1")
    assert "Your search results</a>" in from_search

    step = client.get("/find/", {"zip": "10001", "specialist": doctor.id}).content.decode()
    assert ticked(step) == [str(doctor.id)]
    full = twelve[3]
    not_taking = client.get(full.get_absolute_url()).content.decode()
    assert "Find specialists nearby who accept new patients" in not_taking
    assert f"specialist={full.id}" not in not_taking
    notice = client.get("/find/", {"zip": "10001", "specialist": full.id}).content.decode()
    assert "is not accepting new patients at the moment" in notice
    assert client.get("/find/", {"zip": "10001", "specialist": "x1"}).status_code == 400


def test_the_thank_you_page_gives_each_chosen_doctors_phone(client, twelve):
    client.post(
        "/find/",
        {
            "zip": "10001", "first_name": "Pat", "last_name": "Patient",
            "email": "p@example.com", "phone": "212-555-0142", "consent": "true",
            "specialists": [str(twelve[0].id), str(twelve[1].id)],
        },
    )  # fmt: skip
    html = client.get(Lead.objects.get().get_absolute_url()).content.decode()
    assert "We have sent your request to the 2 specialists you chose:" in html
    assert html.count('href="tel:+12125550100">Call (212) 555-0100</a>') == 2


def test_the_home_page_counts_states_and_names_dc_and_territories(client, db):
    make_specialist()
    make_specialist(state="DC", zip="20001", city="Washington")
    make_specialist(state="PR", zip="00901", city="San Juan")
    make_specialist(state="NJ", zip="07030", city="Hoboken")
    html = client.get("/").content.decode()
    claim = "4 board-certified specialists across 2 states, plus the District of Columbia and "
    assert claim + "Puerto Rico." in html


def test_institute_pages_show_hours_website_and_directions(client, db):
    institute = make_institute(
        name="Hours Spine", opening_hours="Mo-Fr 08:00-17:00\nSa 09:00-12:30",
        website="https://hours.example/", description="Open late on Thursdays.",
    )  # fmt: skip
    make_specialist(institute=institute)
    response = client.get(institute.get_absolute_url())
    html = response.content.decode()
    assert "<dt>Monday to Friday</dt><dd>8 a.m.–5 p.m.</dd>" in html
    assert "<dt>Saturday</dt><dd>9 a.m.–12:30 p.m.</dd>" in html
    assert 'href="https://hours.example/"' in html
    assert "https://www.google.com/maps/dir/?api=1&amp;destination=" in html
    (data,) = read(response).json_ld
    assert data["openingHours"] == ["Mo-Fr 08:00-17:00", "Sa 09:00-12:30"]
