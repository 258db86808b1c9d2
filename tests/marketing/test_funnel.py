import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from leads.models import Lead
from marketing.models import SearchTally
from marketing.selectors import funnel_report
from marketing.services import search_record
from specialists.models import Treatment
from tests.factories import make_specialist
from tests.marketing.conftest import local_datetime, make_lead, parse_csv

pytestmark = pytest.mark.django_db

SCS = "spinal-cord-stimulation"


def funnel_csv(*args) -> list[list[str]]:
    stdout = io.StringIO()
    call_command("export_leads", "--report", "funnel", *args, stdout=stdout)
    return parse_csv(stdout.getvalue())


def post_lead(client, **fields):
    payload = {
        "zip": "10001",
        "treatment": SCS,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "(212) 555-0100",
        "consent": True,
        **fields,
    }
    response = client.post("/api/v1/leads/", payload, format="json")
    assert response.status_code == 201, response.content
    return response


def test_a_search_tally_holds_nothing_that_identifies_a_person():
    assert {field.name for field in SearchTally._meta.get_fields()} == {
        "id",
        "day",
        "treatment",
        "utm_source",
        "count",
    }


def test_search_record_counts_per_day_treatment_and_normalised_source():
    scs = Treatment.objects.get(slug=SCS)
    search_record(treatment=scs, utm_source="Google ")
    search_record(treatment=scs, utm_source="google")
    search_record(treatment=None, utm_source="")
    search_record(treatment=None, utm_source=None)
    tallies = {
        (tally.treatment_id, tally.utm_source): tally.count for tally in SearchTally.objects.all()
    }
    assert tallies == {(scs.id, "google"): 2, (None, ""): 2}
    assert set(SearchTally.objects.values_list("day", flat=True)) == {timezone.localdate()}


def test_the_first_search_of_a_bucket_creates_it_and_later_ones_increment_it():
    search_record(treatment=None, utm_source="news")
    first = SearchTally.objects.get()
    search_record(treatment=None, utm_source="news")
    first.refresh_from_db()
    assert (SearchTally.objects.count(), first.count) == (1, 2)


def test_funnel_through_the_real_search_and_lead_endpoints():
    make_specialist(treatments=(SCS,))
    client = APIClient()
    for source in ("Google", "google"):
        response = client.get(
            "/api/v1/match/", {"zip": "10001", "treatment": SCS, "utm_source": source}
        )
        assert response.status_code == 200
    assert client.get("/api/v1/match/", {"zip": "10001"}).status_code == 200
    # An invalid search is not a step-1 search.
    assert client.get("/api/v1/match/", {"zip": "00000", "treatment": SCS}).status_code == 400
    post_lead(client, utm_source="google")

    today = timezone.localdate()
    assert funnel_csv() == [
        [
            *("day", "treatment", "utm_source", "searches", "leads", "conversion_rate"),
            *("contacted", "scheduled", "cant_help", "rerouted", "median_hours_to_first_contact"),
        ],
        [today.isoformat(), "", "", "1", "0", "0.0000", "0", "0", "0", "0", ""],
        [today.isoformat(), SCS, "google", "2", "1", "0.5000", "0", "0", "0", "0", ""],
    ]


def test_the_find_page_counts_a_search():
    make_specialist(treatments=(SCS,))
    response = APIClient().get("/find/", {"zip": "10001", "treatment": SCS, "utm_source": "news"})
    assert response.status_code == 200
    tally = SearchTally.objects.get()
    assert (tally.treatment.slug, tally.utm_source, tally.count) == (SCS, "news", 1)


def test_funnel_report_groups_leads_by_local_day_and_leaves_rate_blank_without_searches():
    scs = Treatment.objects.get(slug=SCS)
    SearchTally.objects.create(
        day=datetime.date(2025, 5, 1), treatment=scs, utm_source="google", count=40
    )
    for _ in range(3):
        make_lead(created_at=local_datetime(2025, 5, 1, 23, 30), utm_source="Google")
    make_lead(created_at=local_datetime(2025, 5, 2, 0, 5), utm_source="google")
    make_lead(created_at=local_datetime(2025, 5, 2, 8), treatment=None, utm_source="")
    make_lead(created_at=local_datetime(2025, 5, 3, 8), utm_source="google")  # outside

    rows = funnel_report(start=datetime.date(2025, 5, 1), end=datetime.date(2025, 5, 2))
    assert [(r.day.isoformat(), r.treatment, r.utm_source, r.searches, r.leads) for r in rows] == [
        ("2025-05-01", SCS, "google", 40, 3),
        ("2025-05-02", "", "", 0, 1),
        ("2025-05-02", SCS, "google", 0, 1),
    ]
    assert rows[0].conversion_rate == 3 / 40
    assert rows[1].conversion_rate is None

    assert funnel_csv("--created-after", "2025-05-01", "--created-before", "2025-05-02") == [
        [
            *("day", "treatment", "utm_source", "searches", "leads", "conversion_rate"),
            *("contacted", "scheduled", "cant_help", "rerouted", "median_hours_to_first_contact"),
        ],
        ["2025-05-01", SCS, "google", "40", "3", "0.0750", "0", "0", "0", "0", ""],
        ["2025-05-02", "", "", "0", "1", "", "0", "0", "0", "0", ""],
        ["2025-05-02", SCS, "google", "0", "1", "", "0", "0", "0", "0", ""],
    ]


def test_funnel_treatment_filter_and_neutralised_sources():
    scs = Treatment.objects.get(slug=SCS)
    SearchTally.objects.create(
        day=datetime.date(2025, 5, 1), treatment=scs, utm_source="=x", count=2
    )
    SearchTally.objects.create(
        day=datetime.date(2025, 5, 1), treatment=None, utm_source="", count=9
    )
    rows = funnel_csv(
        "--created-after", "2025-05-01", "--created-before", "2025-05-01", "--treatment", SCS
    )
    assert rows[1:] == [["2025-05-01", SCS, "'=x", "2", "0", "0.0000", "0", "0", "0", "0", ""]]
    assert Lead.objects.count() == 0
