"""The provider's lead page: what it shows, the one-click answers, and bad links."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from leads.models import Lead, LeadMatch
from leads.tokens import provider_lead_token

from .conftest import specialist_at

pytestmark = pytest.mark.django_db

Outcome = LeadMatch.Outcome


@pytest.fixture
def lead(post_lead, lead_payload):
    for miles in (1, 2, 3):
        specialist_at(miles, email=f"doc{miles}@clinic.example")
    post_lead(lead_payload)
    return Lead.objects.get()


def page_url(match: LeadMatch) -> str:
    return reverse("provider-lead", args=[provider_lead_token(match)])


@pytest.fixture
def browser():
    """A browser that sends the CSRF token the page's forms carry, as a real one does."""
    return Client(enforce_csrf_checks=True)


def submit(browser, url, **data):
    page = browser.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return browser.post(url, {"csrfmiddlewaretoken": token, **data})


def test_the_page_shows_the_request_to_its_specialist_only(lead, browser):
    match = lead.matches.get(rank=1)
    response = browser.get(page_url(match))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    for shown in ("Pat", "Example", "(212) 555-0142", "pat@example.com", "since my fusion"):
        assert shown in page
    assert match.specialist.display_name in page
    assert "<script" not in page and "<style" not in page and " style=" not in page
    assert page.count('method="post"') == 3
    for reason in LeadMatch.Reason.values:
        assert f'value="{reason}"' in page


def test_contacted_in_one_click_then_the_page_says_so(lead, browser):
    match = lead.matches.get(rank=1)
    url = page_url(match)

    response = submit(browser, url, outcome=Outcome.CONTACTED)

    assert response.status_code == 302 and response["Location"] == url
    page = browser.get(url).content.decode()
    assert "Your answer: <strong>Contacted the patient</strong>" in page
    assert 'method="post"' not in page
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONTACTED


def test_another_specialist_sees_only_their_own_routing(lead, browser):
    first, second = lead.matches.order_by("rank")[:2]
    submit(browser, page_url(first), outcome=Outcome.CANT_HELP, reason="wrong_treatment")

    page = browser.get(page_url(second)).content.decode()

    assert second.specialist.display_name in page
    assert first.specialist.display_name not in page
    assert "Can't help" not in page.split("<h2>How did it go?</h2>")[0]
    assert page.count('method="post"') == 3


def test_cant_help_needs_a_reason(lead, browser):
    match = lead.matches.get(rank=1)

    response = submit(browser, page_url(match), outcome=Outcome.CANT_HELP)

    assert response.status_code == 400
    assert "Please say why" in response.content.decode()
    match.refresh_from_db()
    assert match.outcome == ""


def test_a_reused_link_records_nothing_twice(lead, browser):
    match = lead.matches.get(rank=1)
    url = page_url(match)
    page = browser.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    browser.post(url, {"csrfmiddlewaretoken": token, "outcome": "scheduled"})

    again = browser.post(
        url, {"csrfmiddlewaretoken": token, "outcome": "cant_help", "reason": "other"}
    )

    assert again.status_code == 409
    assert "already answered" in again.content.decode()
    match.refresh_from_db()
    assert match.outcome == Outcome.SCHEDULED
    assert lead.matches.count() == 3


def test_a_tampered_link_is_a_clear_400(lead, browser):
    url = page_url(lead.matches.get(rank=1))

    for bad in (url[:-6] + "xxxxx/", reverse("provider-lead", args=["garbage"])):
        response = browser.get(bad)
        assert response.status_code == 400
        assert "incomplete or was changed" in response.content.decode()
    assert Client().post(url[:-6] + "xxxxx/", {"outcome": "contacted"}).status_code == 400
    assert not LeadMatch.objects.exclude(outcome="").exists()


def test_an_expired_link_is_a_clear_410_and_records_nothing(lead, settings):
    url = page_url(lead.matches.get(rank=1))
    settings.PROVIDER_LINK_MAX_AGE_DAYS = -1

    shown = Client().get(url)
    posted = Client().post(url, {"outcome": "contacted"})

    assert shown.status_code == 410 and posted.status_code == 410
    assert "too old" in shown.content.decode()
    assert not LeadMatch.objects.exclude(outcome="").exists()


def test_a_link_to_a_deleted_lead_is_a_400(lead, browser):
    url = page_url(lead.matches.get(rank=1))
    lead.delete()

    assert browser.get(url).status_code == 400
