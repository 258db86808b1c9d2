"""The Content-Security-Policy in Chromium: no page the patients, the providers or the staff
use trips it, JSON-LD is left alone, and the admin's own pages (the funnel chart, the CSV
upload) still look and work as they should."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from marketing.models import SearchTally
from specialists.corrections import (
    correction_link_open,
    correction_link_token,
    correction_propose,
    listing_values,
)
from tests.factories import make_institute, make_specialist
from tests.marketing.conftest import make_lead

from .conftest import DESKTOP

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Runs in every document before the page's own code (Playwright's init scripts are not
# subject to the page's CSP) and records each violation the browser reports.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def watched_page(page_at):
    """A page whose CSP violations, from the console or the DOM event, are collected."""
    page = page_at(DESKTOP)
    page.add_init_script(RECORD_VIOLATIONS)
    page.console_problems = []
    page.on(
        "console",
        lambda message: page.console_problems.append(message.text)
        if "Content Security Policy" in message.text
        else None,
    )
    return page


def visit(page, url: str) -> list[str]:
    response = page.goto(url)
    assert response.status in (200, 400), url
    page.wait_for_load_state("load")
    return page.evaluate("window.__cspViolations") + page.console_problems


def test_patient_pages_trip_no_csp_and_keep_their_json_ld(live_server, watched_page):
    institute = make_institute(name="Midtown Spine Institute")
    specialist = make_specialist(first_name="Ada", last_name="Alvarez", institute=institute)
    paths = [
        "/",
        "/conditions/failed-back-surgery-syndrome/",
        "/treatments/spinal-cord-stimulation/",
        "/find/?zip=10001&treatment=spinal-cord-stimulation",
        "/find/?zip=00000",
        specialist.get_absolute_url(),
        institute.get_absolute_url(),
        "/thanks/",
        reverse("provider-listing", args=[correction_link_token(specialist)]),
        "/es/",
        "/es/find/?zip=10001&treatment=spinal-cord-stimulation",
    ]
    problems = {path: visit(watched_page, f"{live_server.url}{path}") for path in paths}

    assert {path: found for path, found in problems.items() if found} == {}
    watched_page.goto(f"{live_server.url}{specialist.get_absolute_url()}")
    json_ld = watched_page.locator('script[type="application/ld+json"]')
    assert json_ld.count() >= 1
    assert "Ada" in json_ld.first.text_content()
    # The stylesheet applied: the CSP let the site's own CSS in.
    background = watched_page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(246, 248, 249)"


def test_admin_pages_trip_no_csp_and_the_funnel_chart_is_styled(live_server, watched_page):
    User.objects.create_superuser("boss", "boss@example.com", "pw-boss-123")
    lead = make_lead()
    SearchTally.objects.create(day=datetime.date.today(), utm_source="", count=4)
    specialist = make_specialist()
    correction = correction_propose(
        link=correction_link_open(correction_link_token(specialist)),
        proposed={**listing_values(specialist), "phone": "+16465550199"},
    )
    page = watched_page

    assert visit(page, f"{live_server.url}/admin/login/") == []
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill("pw-boss-123")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/admin/")

    paths = [
        "/admin/",
        "/admin/leads/lead/",
        f"/admin/leads/lead/{lead.pk}/change/",
        "/admin/marketing/exportrecord/",
        "/admin/specialists/specialist/add/",
        "/admin/specialists/specialist/upload-csv/",
        "/admin/marketing/providerresponse/",
        f"/admin/specialists/listingcorrection/{correction.pk}/change/",
        "/admin/marketing/funnel/",
    ]
    problems = {path: visit(page, f"{live_server.url}{path}") for path in paths}

    assert {path: found for path, found in problems.items() if found} == {}
    # Still on the funnel page: the bars take their colours from the static stylesheet.
    fill = page.evaluate(
        "getComputedStyle(document.querySelector('.funnel-chart rect.searches')).fill"
    )
    assert fill == "rgb(121, 174, 200)"
    page.goto(f"{live_server.url}/admin/specialists/specialist/upload-csv/")
    assert page.locator('input[type="file"]').count() == 1
