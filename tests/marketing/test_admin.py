import datetime
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from rest_framework.test import APIClient

from core.models import ApiToken
from marketing.exporting import COLUMNS
from marketing.models import ExportRecord, SearchTally
from specialists.models import Treatment
from tests.marketing.conftest import EXPORT_URL, body_text, local_datetime, make_lead, parse_csv

pytestmark = pytest.mark.django_db

LEAD_CHANGELIST = "/admin/leads/lead/"
FUNNEL_URL = "/admin/marketing/funnel/"


@pytest.fixture
def admin_client_logged_in(db):
    superuser = User.objects.create_superuser("boss", "boss@example.com", "pw")
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def marketing_staff(db):
    """A marketing person as the README says to set one up: staff, in the Marketing group."""
    user = User.objects.create_user("mia", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Marketing"))
    user.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client = Client()
    client.force_login(user)
    return client


def test_export_action_streams_the_selected_leads_as_the_same_csv(marketing_staff):
    chosen = make_lead(first_name="=Chosen", last_name="José")
    make_lead(first_name="Left")
    response = marketing_staff.post(
        LEAD_CHANGELIST,
        {"action": "export_selected_leads", ACTION_CHECKBOX_NAME: [str(chosen.pk)]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    header, *rows = parse_csv(body_text(response))
    assert tuple(header) == COLUMNS
    assert [(row[0], row[2], row[3]) for row in rows] == [(str(chosen.pk), "'=Chosen", "José")]
    record = ExportRecord.objects.get()
    assert record.channel == ExportRecord.Channel.ADMIN
    assert record.row_count == 1
    assert record.completed is True
    assert record.filters["admin_selection"] == 1


def test_export_action_is_offered_only_with_the_export_permission(marketing_staff):
    make_lead()
    assert b"Export selected leads as CSV" in marketing_staff.get(LEAD_CHANGELIST).content
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client = Client()
    client.force_login(viewer)
    page = client.get(LEAD_CHANGELIST)
    assert page.status_code == 200
    assert b"Export selected leads as CSV" not in page.content


def test_export_records_are_read_only_in_the_admin(admin_client_logged_in, marketing_client):
    body_text(marketing_client.get(EXPORT_URL))
    record = ExportRecord.objects.get()
    assert admin_client_logged_in.get("/admin/marketing/exportrecord/").status_code == 200
    assert admin_client_logged_in.get("/admin/marketing/exportrecord/add/").status_code == 403
    page = admin_client_logged_in.get(f"/admin/marketing/exportrecord/{record.pk}/change/")
    assert page.status_code == 200
    assert b'name="actor"' not in page.content
    delete = admin_client_logged_in.post(
        f"/admin/marketing/exportrecord/{record.pk}/delete/", {"post": "yes"}
    )
    assert delete.status_code == 403
    assert ExportRecord.objects.filter(pk=record.pk).exists()


def test_admin_creates_a_token_for_a_marketing_user_who_then_exports(admin_client_logged_in):
    marketer = User.objects.create_user("tok")
    marketer.groups.add(Group.objects.get(name="Marketing"))
    autocomplete = admin_client_logged_in.get(
        "/admin/autocomplete/",
        {
            "term": "tok",
            "app_label": "core",
            "model_name": "apitoken",
            "field_name": "user",
        },
    )
    assert autocomplete.status_code == 200
    assert [item["text"] for item in autocomplete.json()["results"]] == ["tok"]
    added = admin_client_logged_in.post(
        "/admin/core/apitoken/add/", {"user": marketer.pk, "name": "report", "days": "30"}
    )
    # The key is shown on this one page and stored only as a digest.
    assert added.status_code == 200
    key = re.search(rb'<code class="api-token-key">([0-9a-f]{40})</code>', added.content)[1]
    token = ApiToken.objects.get(user=marketer)
    assert key.decode() not in (token.digest, token.prefix)
    listing = admin_client_logged_in.get(
        "/admin/core/apitoken/",
        {"user__groups__id__exact": Group.objects.get(name="Marketing").pk},
    )
    assert token.prefix.encode() in listing.content
    assert key not in listing.content
    response = APIClient().get(EXPORT_URL, HTTP_AUTHORIZATION=f"Token {key.decode()}")
    assert response.status_code == 200


def test_funnel_page_is_linked_from_the_admin_index_for_marketing(marketing_staff):
    index = marketing_staff.get("/admin/")
    assert FUNNEL_URL.encode() in index.content


def test_funnel_page_renders_table_and_chart(marketing_staff):
    scs = Treatment.objects.get(slug="spinal-cord-stimulation")
    SearchTally.objects.create(
        day=datetime.date(2025, 5, 1), treatment=scs, utm_source="google", count=8
    )
    make_lead(created_at=local_datetime(2025, 5, 1, 10), utm_source="google")
    make_lead(created_at=local_datetime(2025, 5, 1, 11), utm_source="google")
    page = marketing_staff.get(FUNNEL_URL, {"start": "2025-05-01", "end": "2025-05-03"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    assert html.count('<rect class="searches"') == 3
    assert html.count('<rect class="leads"') == 3
    assert "2025-05-01: 8 searches" in html
    assert "25.0%" in html
    assert 'action="/api/v1/leads/export/"' in html
    assert "<script" not in html.split('id="content-main"')[1]


def test_funnel_page_downloads_its_csv(marketing_staff):
    SearchTally.objects.create(day=datetime.date(2025, 5, 1), utm_source="news", count=4)
    response = marketing_staff.get(
        FUNNEL_URL, {"start": "2025-05-01", "end": "2025-05-01", "download": "csv"}
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert parse_csv(body_text(response))[1] == [
        "2025-05-01",
        "",
        "news",
        "4",
        "0",
        "0.0000",
        "0",
        "0",
        "0",
        "0",
        "",
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2025-05-03", "end": "2025-05-01"},
        {"start": "not-a-date", "end": "2025-05-01"},
        {"start": "2020-01-01", "end": "2025-01-01"},
        {"start": "2025-05-01", "end": "2025-05-02", "treatment": "acupuncture"},
    ],
)
def test_funnel_page_shows_bad_input_as_form_errors(marketing_staff, params):
    page = marketing_staff.get(FUNNEL_URL, params)
    assert page.status_code == 200
    assert b"errornote" in page.content
    assert b'class="funnel-chart"' not in page.content


def test_funnel_page_needs_the_export_permission(db):
    staff = User.objects.create_user("plain", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get(FUNNEL_URL).status_code == 403
