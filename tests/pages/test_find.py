"""/find/: step 1 results, bad input on the page, and step 2 posting a lead."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.api import PublicPostThrottle
from leads.models import Lead
from tests.factories import make_specialist

from .html import read, widget

STEP_TWO = {
    "zip": "10001",
    "treatment": "spinal-cord-stimulation",
    "first_name": "Pat",
    "last_name": "Patient",
    "email": "pat@example.com",
    "phone": "(212) 555-0142",
    "consent": "true",
    "message": "Pain in my left leg since my fusion.",
    "website": "",
}


def step_two_form(response):
    (form,) = [f for f in read(response).forms if f.attrs.get("method") == "post"]
    return form


def test_without_a_zip_the_page_offers_the_form_only(client, directory):
    response = client.get("/find/")
    assert response.status_code == 200
    assert widget(response).inputs["zip"]["value"] == ""
    assert "Step 2 of 2" not in response.content.decode()


def test_results_show_what_a_patient_needs_nearest_first(client, directory):
    response = client.get("/find/", {"zip": "10001", "treatment": "spinal-cord-stimulation"})
    assert response.status_code == 200
    html = response.content.decode()
    near, independent = directory["near"], directory["independent"]
    assert html.index("Ada Alvarez, MD") < html.index("Ben Brooks, DO")
    assert "Cora Castillo" not in html and "Dan Dormant" not in html
    assert "2 board-certified specialists within 50 miles" in html
    assert "<strong>0.0 mi</strong> away" in html
    assert "<strong>1.0 mi</strong> away" in html
    assert "Orthopaedic spine surgery" in html and "Pain medicine" in html
    assert "American Board of Orthopaedic Surgery (ABOS)" in html
    assert "Valid through Dec 31, 2031" in html and "No expiry date" in html
    assert "Accepting new patients" in html
    assert f'href="{near.get_absolute_url()}"' in html
    assert f'href="{independent.get_absolute_url()}"' in html
    assert 'href="tel:+12125550100"' in html
    assert 'href="/treatments/spinal-cord-stimulation/"' in html
    # The institute shows both on the card and under "Spine institutes nearby".
    assert html.count(f'href="{directory["institute"].get_absolute_url()}"') == 2
    assert "Spine institutes nearby" in html
    # The search is kept in the widget, and step 2 follows with the search's hidden values.
    assert widget(response).inputs["zip"]["value"] == "10001"
    assert widget(response).selects == {
        "treatment": "spinal-cord-stimulation",
        "radius": "50",
        # The order and the filters /find/ offers, none chosen.
        "sort": "distance",
        "language": None,
        "insurance": None,
        "specialty": None,
        "gender": None,
    }
    form = step_two_form(response)
    assert form.inputs["zip"]["value"] == "10001"
    assert form.inputs["treatment"]["value"] == "spinal-cord-stimulation"
    assert {"first_name", "last_name", "email", "phone", "consent", "message"} <= form.fields
    honeypot = form.inputs["website"]
    assert honeypot["autocomplete"] == "off" and honeypot["tabindex"] == "-1"


def test_zip_plus_four_is_accepted_and_normalised(client, directory):
    response = client.get("/find/", {"zip": " 10001-1234 "})
    assert response.status_code == 200
    assert step_two_form(response).inputs["zip"]["value"] == "10001"


def test_nothing_within_the_radius_names_the_nearest_and_links_a_wider_search(client, directory):
    response = client.get("/find/", {"zip": "10001", "treatment": "intrathecal-drug-delivery"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "No specialist within 50 miles of 10001 offers intrathecal drug delivery" in html
    assert "Cora Castillo, MD" in html
    distance = float(
        re.search(r"Cora Castillo, MD</a>, ([\d,.]+) miles away", html).group(1).replace(",", "")
    )
    assert 2400 < distance < 2500
    # Beyond the largest radius the page can search, it names the specialist but offers no
    # wider search; closer, it links the smallest radius that reaches them.
    assert "radius=" not in html.split("Spine institutes nearby")[0].split("Step 2")[0]
    near_la = client.get("/find/", {"zip": "91101", "treatment": "intrathecal-drug-delivery"})
    near_html = near_la.content.decode()
    assert "No specialist within 50 miles" not in near_html
    widened = client.get(
        "/find/", {"zip": "92101", "treatment": "intrathecal-drug-delivery", "radius": "10"}
    ).content.decode()
    assert "No specialist within 10 miles of 92101" in widened
    assert (
        'href="/find/?zip=92101&amp;treatment=intrathecal-drug-delivery&amp;radius=250"' in widened
    )
    assert (
        "Cora Castillo, MD"
        in client.get(
            "/find/", {"zip": "92101", "treatment": "intrathecal-drug-delivery", "radius": "250"}
        ).content.decode()
    )


@pytest.mark.parametrize(
    ("zip", "message"),
    [
        ("abc", "Enter a 5-digit US ZIP code."),
        ("", "Enter a 5-digit US ZIP code."),
        ("00000", "Unknown ZIP code 00000."),
        ("09001", "ZIP code 09001 has no known location."),
        ("١٠٠٠١", "Enter a 5-digit US ZIP code."),
        ("1" * 5000, "Enter a 5-digit US ZIP code."),
        ("100\x0001", "Null characters are not allowed."),
    ],
)
def test_a_bad_zip_is_answered_next_to_the_field_with_the_value_kept(client, db, zip, message):
    response = client.get("/find/", {"zip": zip})
    assert response.status_code == 400
    form = widget(response)
    assert form.inputs["zip"]["aria-invalid"] == "true"
    assert f'<p class="field-error" id="zip-error">{message}</p>' in response.content.decode()
    if zip.isascii() and zip.isprintable() and len(zip) < 20:
        assert form.inputs["zip"]["value"] == zip
    assert "Step 2 of 2" not in response.content.decode()


def test_bad_treatment_and_radius_are_field_errors_too(client, db):
    response = client.get("/find/", {"zip": "10001", "treatment": "magic", "radius": "nan"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="treatment-error">Unknown treatment' in html
    assert 'id="radius-error">' in html
    assert widget(response).inputs["zip"]["value"] == "10001"


@pytest.mark.parametrize(
    "query",
    [
        "zip=10001&zip=abc",
        "zip=abc&zip=10001",
        "zip=10001&treatment=spinal-fusion&treatment=%00",
        "zip=%00%00&treatment=%FF%FE",
        "zip=10001&radius=1e999",
        "zip=10001&radius=%EF%BC%91%EF%BC%90",
        "zip=10001&radius=" + "9" * 4000,
        "zip=10001&utm_source=%00" + "x" * 5000 + "&referrer=%0Ajavascript:alert(1)",
        "zip[]=10001&treatment[]=x",
        "zip=10001&limit=0&unit=parsecs",
    ],
)
def test_junk_query_strings_never_cause_a_server_error(client, directory, query):
    response = client.get(f"/find/?{query}")
    assert response.status_code in (200, 400)
    assert "\x00" not in response.content.decode()


def test_repeated_parameters_count_with_their_last_value(client, directory):
    assert client.get("/find/?zip=abc&zip=10001").status_code == 200
    assert client.get("/find/?zip=10001&zip=abc").status_code == 400


def test_campaign_tags_and_outside_referrer_travel_to_step_two(client, directory):
    response = client.get(
        "/find/",
        {"zip": "10001", "utm_source": "newsletter", "utm_campaign": "fall\x00 2026"},
        HTTP_REFERER="https://www.search.example/?q=back+pain",
    )
    inputs = step_two_form(response).inputs
    assert inputs["utm_source"]["value"] == "newsletter"
    assert inputs["utm_campaign"]["value"] == "fall 2026"
    assert inputs["referrer"]["value"] == "https://www.search.example/?q=back+pain"
    own_site = client.get("/find/", {"zip": "10001"}, HTTP_REFERER="http://testserver/")
    assert "referrer" not in step_two_form(own_site).inputs


def test_the_widget_carries_campaign_tags_from_a_landing_page(client, db):
    response = client.get(
        "/conditions/failed-back-surgery-syndrome/", {"utm_source": "ads", "utm_medium": "cpc"}
    )
    inputs = widget(response).inputs
    assert inputs["utm_source"]["value"] == "ads"
    assert inputs["utm_medium"]["value"] == "cpc"


def test_step_two_stores_the_lead_and_redirects_to_its_thank_you_page(
    client, directory, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/find/",
            {**STEP_TWO, "utm_source": "newsletter", "referrer": "https://www.search.example/"},
        )
    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/thanks/{lead.id}/"
    assert lead.phone == "+12125550142"
    assert lead.treatment.slug == "spinal-cord-stimulation"
    assert lead.utm_source == "newsletter"
    assert lead.referrer == "https://www.search.example/"
    assert [match.specialist for match in lead.matches.order_by("rank")] == [
        directory["near"],
        directory["independent"],
    ]
    assert any("pat@example.com" in message.to for message in mail.outbox)
    assert client.get(response["Location"]).status_code == 200


def test_step_two_errors_show_next_to_the_fields_with_values_and_results_kept(client, directory):
    response = client.post(
        "/find/",
        {**STEP_TWO, "email": "not-an-email", "phone": "12", "consent": "", "first_name": ""},
    )
    assert response.status_code == 400
    assert Lead.objects.count() == 0
    html = response.content.decode()
    form = step_two_form(response)
    for name in ("email", "phone", "first_name", "consent"):
        assert form.inputs[name].get("aria-invalid") == "true", name
        assert f'id="{name}-error"' in html
    assert "Please agree to be contacted" in html
    assert form.inputs["email"]["value"] == "not-an-email"
    assert form.inputs["last_name"]["value"] == "Patient"
    assert "Pain in my left leg since my fusion." in html
    assert "Ada Alvarez, MD" in html
    assert widget(response).inputs["zip"]["value"] == "10001"


def test_step_two_with_a_tampered_zip_never_fails_with_a_server_error(client, directory):
    response = client.post("/find/", {**STEP_TWO, "zip": "\x00", "treatment": "x" * 500})
    assert response.status_code == 400
    assert Lead.objects.count() == 0


def test_the_honeypot_looks_like_success_and_stores_nothing(client, directory):
    response = client.post("/find/", {**STEP_TWO, "website": "http://spam.example"})
    assert response.status_code == 302
    assert response["Location"] == "/thanks/"
    assert Lead.objects.count() == 0
    assert mail.outbox == []


def test_the_same_request_twice_lands_on_the_same_thank_you_page(client, directory):
    first = client.post("/find/", STEP_TWO)
    second = client.post("/find/", STEP_TWO)
    assert first["Location"] == second["Location"]
    assert Lead.objects.count() == 1


def test_page_posts_share_the_public_post_rate_limit(client, directory, monkeypatch):
    monkeypatch.setitem(PublicPostThrottle.THROTTLE_RATES, "public_post", "3/minute")
    assert client.post("/", {"form": "newsletter", "email": "a@example.com"}).status_code == 302
    statuses = [client.post("/find/", STEP_TWO).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    refused = client.post("/treatments/discectomy/", {"form": "newsletter", "email": "b@x.com"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0


def results_page_queries(client) -> int:
    query = {"zip": "10001", "treatment": "spinal-cord-stimulation"}
    client.get("/find/", query)  # builds the match index for this directory version
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/find/", query).status_code == 200
    return len(queries)


def test_the_results_page_costs_the_same_queries_for_two_results_or_ten(client, directory):
    two = results_page_queries(client)
    for n in range(8):
        make_specialist(last_name=f"Extra{n}", institute=directory["institute"])
    assert results_page_queries(client) == two
    assert two <= 8


@pytest.mark.parametrize("path", ["/find/", "/es/find/"])
def test_a_cookieless_search_skips_the_session_middlewares_and_still_sets_csrf(
    directory, monkeypatch, path
):
    """A first visit's search page is answered without the session, authentication and
    messages middlewares, and its step 2 form still posts: the CSRF cookie is set as
    CSRF's middleware would set it, and the token on the page matches it."""
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.test import Client

    def refuse(*args, **kwargs):
        raise AssertionError("the session middleware ran")

    browser = Client(enforce_csrf_checks=True)
    with monkeypatch.context() as patched:
        patched.setattr(SessionMiddleware, "process_request", refuse)
        page = browser.get(path, {"zip": "10001", "treatment": "spinal-cord-stimulation"})
    assert page.status_code == 200
    assert "Alvarez" in page.content.decode()
    assert page["Content-Language"] == ("es" if path.startswith("/es/") else "en")
    cookie = page.cookies["csrftoken"]
    assert cookie.value and cookie["samesite"] == "Lax"
    assert "Cookie" in page["Vary"]
    token = step_two_form(page).inputs["csrfmiddlewaretoken"]["value"]
    posted = browser.post(
        path,
        {**STEP_TWO, "csrfmiddlewaretoken": token, "specialists": str(directory["near"].pk)},
    )
    assert posted.status_code == 302, posted.content.decode()[:500]
    lead = Lead.objects.get()
    assert posted["Location"].endswith(f"/thanks/{lead.id}/")


def test_a_search_without_a_form_sets_no_csrf_cookie(client, directory):
    """The short way sets the cookie only for a page that asked for a token."""
    response = client.get("/api/v1/match/", {"zip": "10001"})
    assert response.status_code == 200
    assert "csrftoken" not in response.cookies
