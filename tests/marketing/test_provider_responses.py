"""The provider response table: per specialist, requests routed, answered within the window,
median response time and can't-help reasons; the selector and its admin page."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from leads.models import LeadMatch
from marketing.selectors import provider_response_report
from tests.factories import make_specialist
from tests.marketing.conftest import local_datetime, make_lead

pytestmark = pytest.mark.django_db

URL = "/admin/marketing/providerresponse/"
HOUR = datetime.timedelta(hours=1)
Outcome = LeadMatch.Outcome
Reason = LeadMatch.Reason


def routed(specialist, *, at, window=8, answered_after=None, outcome="", reason="", rerouted=False):
    """A request routed to ``specialist`` at ``at``, due an answer ``window`` hours later,
    answered ``answered_after`` hours after routing (None: not answered)."""
    lead = make_lead(created_at=at)
    return LeadMatch.objects.create(
        lead=lead,
        specialist=specialist,
        rank=1,
        distance=1.0,
        created_at=at,
        respond_by=at + window * HOUR,
        outcome=outcome,
        cant_help_reason=reason,
        answered_at=None if answered_after is None else at + answered_after * HOUR,
        rerouted_at=at + window * HOUR if rerouted or outcome == Outcome.CANT_HELP else None,
    )


@pytest.fixture
def network():
    """Two specialists' May: Ada answers quickly but can't help twice; Bo is slow or silent."""
    ada = make_specialist(first_name="Ada", last_name="Alvarez")
    bo = make_specialist(first_name="Bo", last_name="Brown", credentials="")
    may = local_datetime(2025, 5, 5, 9)
    routed(ada, at=may, answered_after=1, outcome=Outcome.CONTACTED)
    routed(ada, at=may, answered_after=2, outcome=Outcome.CANT_HELP, reason=Reason.NOT_ACCEPTING)
    routed(ada, at=may, answered_after=4, outcome=Outcome.CANT_HELP, reason=Reason.OUT_OF_NETWORK)
    routed(bo, at=may, answered_after=30, outcome=Outcome.SCHEDULED)
    routed(bo, at=may, rerouted=True)
    routed(ada, at=local_datetime(2025, 6, 2, 9), answered_after=1, outcome=Outcome.CONTACTED)
    return ada, bo


def test_the_report_counts_each_specialists_answers(network):
    ada, bo = network

    first, second = provider_response_report(
        start=datetime.date(2025, 5, 1), end=datetime.date(2025, 5, 31)
    )

    assert first.specialist == ada
    assert (first.routed, first.answered, first.answered_in_window, first.silent) == (3, 3, 3, 0)
    assert first.median_response_hours == 2
    assert first.cant_help == {
        "not_accepting": 1,
        "wrong_treatment": 0,
        "out_of_network": 1,
        "other": 0,
    }
    assert second.specialist == bo
    assert (second.routed, second.answered, second.answered_in_window, second.silent) == (
        2,
        1,
        0,
        1,
    )
    assert second.median_response_hours == 30
    assert second.in_window_rate == 0
    assert sum(second.cant_help.values()) == 0


def test_the_report_covers_only_its_days(network):
    ada, _ = network
    [june] = provider_response_report(
        start=datetime.date(2025, 6, 1), end=datetime.date(2025, 6, 30)
    )
    assert (june.specialist, june.routed) == (ada, 1)
    assert (
        provider_response_report(start=datetime.date(2025, 7, 1), end=datetime.date(2025, 7, 2))
        == []
    )


@pytest.fixture
def marketing_staff():
    user = User.objects.create_user("mia", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Marketing"))
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_page_shows_the_table(marketing_staff, network):
    ada, bo = network
    assert URL.encode() in marketing_staff.get("/admin/").content

    page = marketing_staff.get(URL, {"start": "2025-05-01", "end": "2025-05-31"})

    assert page.status_code == 200
    rows = re.findall(
        r"<tr>\s*<td><a [^>]+>([^<]+)</a></td>(.*?)</tr>", page.content.decode(), re.S
    )
    cells = {name: re.findall(r'<td class="number">([^<]*)</td>', rest) for name, rest in rows}
    # routed, answered, within the window, share, sent on, median, then the four reasons
    assert cells == {
        ada.display_name: ["3", "3", "3", "100.0%", "0", "2.0", "1", "0", "1", "0"],
        bo.display_name: ["2", "1", "0", "0.0%", "1", "30.0", "0", "0", "0", "0"],
    }
    assert "Can't help: not accepting new patients" in page.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2025-05-03", "end": "2025-05-01"},
        {"start": "not-a-date", "end": "2025-05-01"},
        {"start": "2020-01-01", "end": "2025-01-01"},
        {"start": "2025-05-01"},
    ],
)
def test_bad_dates_are_form_errors(marketing_staff, params):
    page = marketing_staff.get(URL, params)
    assert page.status_code == 200
    assert b"errornote" in page.content
    assert b"provider-responses" not in page.content


def test_an_empty_period_says_so(marketing_staff):
    page = marketing_staff.get(URL, {"start": "2025-05-01", "end": "2025-05-02"})
    assert b"No request was routed" in page.content


def test_the_page_needs_the_export_permission(db):
    client = Client()
    client.force_login(User.objects.create_user("plain", is_staff=True))
    assert client.get(URL).status_code == 403
