import datetime

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.http import HttpRequest
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.api_tokens import api_token_create
from leads.models import Lead
from marketing.exporting import COLUMNS, LINES_PER_WRITE, lead_csv_stream
from marketing.models import ExportRecord
from marketing.selectors import lead_export_list
from marketing.services import export_record_start
from tests.factories import make_specialist
from tests.marketing.conftest import (
    EXPORT_URL,
    body_text,
    local_datetime,
    make_lead,
    parse_csv,
)

pytestmark = pytest.mark.django_db

CONTRACT_COLUMNS = [
    "id",
    "created_at",
    "first_name",
    "last_name",
    "email",
    "phone",
    "zip",
    "state",
    "treatment",
    "status",
    "matched_specialists",
    "utm_source",
    "utm_medium",
    "utm_campaign",
]


def export_rows(client, **params) -> list[dict]:
    response = client.get(EXPORT_URL, params)
    assert response.status_code == 200, response.content
    header, *rows = parse_csv(body_text(response))
    return [dict(zip(header, row, strict=True)) for row in rows]


# Permission ---------------------------------------------------------------------------


def test_anonymous_gets_401_with_a_token_challenge_and_no_rows():
    make_lead(first_name="Secretia")
    response = APIClient().get(EXPORT_URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert b"Secretia" not in response.content
    assert not ExportRecord.objects.exists()


def test_a_bad_token_gets_401():
    response = APIClient().get(EXPORT_URL, HTTP_AUTHORIZATION="Token not-a-real-key")
    assert response.status_code == 401


def test_authenticated_without_the_permission_gets_403_and_no_rows():
    make_lead(first_name="Secretia")
    staff = User.objects.create_user("frontdesk", is_staff=True)
    client = APIClient()
    client.force_login(staff)
    response = client.get(EXPORT_URL)
    assert response.status_code == 403
    assert b"Secretia" not in response.content
    assert not ExportRecord.objects.exists()


def test_a_token_without_the_permission_gets_403():
    _, key = api_token_create(user=User.objects.create_user("intern"))
    response = APIClient().get(EXPORT_URL, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 403


def test_the_permission_granted_directly_is_enough():
    user = User.objects.create_user("analyst")
    user.user_permissions.add(Permission.objects.get(codename="export_lead"))
    client = APIClient()
    client.force_login(user)
    assert client.get(EXPORT_URL).status_code == 200


def test_marketing_group_member_downloads_with_a_session(marketing_user):
    make_lead(first_name="Ada")
    client = APIClient()
    # django-axes checks every password sign-in against its lockouts, so it needs a request.
    assert client.login(request=HttpRequest(), username="marketer", password="pw-marketing-123")
    response = client.get(EXPORT_URL)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="leads-')
    assert "Ada" in body_text(response)


def test_token_auth_downloads(marketing_token):
    make_lead(first_name="Ada")
    client = APIClient()
    response = client.get(EXPORT_URL, HTTP_AUTHORIZATION=f"Token {marketing_token.key}")
    assert response.status_code == 200
    assert "Ada" in body_text(response)


def test_accept_text_csv_is_not_refused(marketing_client):
    response = marketing_client.get(EXPORT_URL, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    bad = marketing_client.get(EXPORT_URL, {"state": "ZZ"}, HTTP_ACCEPT="text/csv")
    assert bad.status_code == 400
    assert "state" in bad.json()


# Format -------------------------------------------------------------------------------


def test_header_is_the_contract_columns_in_order_then_extras(marketing_client):
    header = parse_csv(body_text(marketing_client.get(EXPORT_URL)))[0]
    assert header[: len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS
    assert header == [
        *CONTRACT_COLUMNS,
        "utm_term",
        "utm_content",
        "referrer",
        "city",
        "language",
    ]
    assert tuple(header) == COLUMNS


def test_one_row_per_lead_with_every_value(marketing_client):
    near = make_specialist(first_name="Jane", last_name="Doe", credentials="MD")
    far = make_specialist(first_name="Omar", last_name="Ali", credentials="DO")
    lead = make_lead(
        created_at=local_datetime(2025, 3, 4, 9, 30),
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phone="+12125550123",
        zip="10001",
        state="NY",
        city="New York",
        status=Lead.Status.CONTACTED,
        utm_source="google",
        utm_medium="cpc",
        utm_campaign="scs-spring",
        utm_term="back pain",
        utm_content="ad-7",
        referrer="https://www.google.com/",
        message="private details about my back",
        matches=[(near, 0.44), (far, 12.0)],
    )
    (row,) = export_rows(marketing_client)
    assert row == {
        "id": str(lead.id),
        "created_at": "2025-03-04T09:30:00-05:00",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "'+12125550123",
        "zip": "10001",
        "state": "NY",
        "treatment": "spinal-cord-stimulation",
        "status": "contacted",
        "matched_specialists": (
            f"Jane Doe, MD (NPI {near.npi}, 0.4 mi); Omar Ali, DO (NPI {far.npi}, 12.0 mi)"
        ),
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "scs-spring",
        "utm_term": "back pain",
        "utm_content": "ad-7",
        "referrer": "https://www.google.com/",
        "city": "New York",
        "language": "en",
    }


def test_the_language_column_is_last_and_says_what_the_patient_used(marketing_client):
    make_lead(created_at=local_datetime(2025, 1, 1))
    make_lead(created_at=local_datetime(2025, 1, 2), language="es")
    rows = export_rows(marketing_client)
    assert [row["language"] for row in rows] == ["en", "es"]
    assert COLUMNS[-1] == "language"


def test_created_at_is_iso_8601_to_the_second_with_the_site_time_zone_offset(marketing_client):
    make_lead(created_at=datetime.datetime(2025, 7, 1, 3, 0, 0, 654321, tzinfo=datetime.UTC))
    (row,) = export_rows(marketing_client)
    parsed = datetime.datetime.fromisoformat(row["created_at"])
    assert row["created_at"] == "2025-06-30T23:00:00-04:00"
    assert parsed.utcoffset() == datetime.timedelta(hours=-4)


def test_rows_are_oldest_first_and_a_lead_without_treatment_or_match_has_blank_cells(
    marketing_client,
):
    second = make_lead(created_at=local_datetime(2025, 1, 2), treatment=None)
    first = make_lead(created_at=local_datetime(2025, 1, 1))
    rows = export_rows(marketing_client)
    assert [row["id"] for row in rows] == [str(first.id), str(second.id)]
    assert rows[1]["treatment"] == ""
    assert rows[1]["matched_specialists"] == ""


def test_utf8_names_stay_intact(marketing_client):
    make_lead(first_name="José Ñoño", last_name="Zoë Łukasiewicz")
    make_lead(first_name="王小明", last_name="山田 太郎")
    response = marketing_client.get(EXPORT_URL)
    raw = b"".join(response.streaming_content)
    assert "José Ñoño".encode() in raw
    rows = [row[2:4] for row in parse_csv(raw.decode("utf-8"))[1:]]
    assert rows == [["José Ñoño", "Zoë Łukasiewicz"], ["王小明", "山田 太郎"]]


@pytest.mark.parametrize(
    "payload",
    [
        '=HYPERLINK("http://evil.example","click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "  =1+1",
    ],
)
def test_formula_injection_is_neutralised_in_every_text_cell(marketing_client, payload):
    make_lead(
        first_name=payload,
        last_name=payload,
        utm_source=payload,
        utm_medium=payload,
        utm_campaign=payload,
        utm_term=payload,
        utm_content=payload,
        referrer=payload,
        message=payload,
    )
    (row,) = export_rows(marketing_client)
    for column in (
        "first_name",
        "last_name",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        "referrer",
    ):
        assert row[column] == "'" + payload, column


def test_harmless_values_are_left_alone(marketing_client):
    make_lead(first_name="Mary-Jane", last_name="O'Neil", utm_campaign="spring=sale")
    (row,) = export_rows(marketing_client)
    assert (row["first_name"], row["last_name"], row["utm_campaign"]) == (
        "Mary-Jane",
        "O'Neil",
        "spring=sale",
    )


def test_the_patient_message_is_never_exported(marketing_client):
    make_lead(message="My surgeon said my L4 fusion failed")
    assert "L4 fusion" not in body_text(marketing_client.get(EXPORT_URL))


def test_queries_do_not_grow_with_the_number_of_leads(marketing_client):
    specialist = make_specialist()
    make_lead(matches=[(specialist, 1.0)])
    with CaptureQueriesContext(connection) as few:
        body_text(marketing_client.get(EXPORT_URL))
    for _ in range(25):
        make_lead(matches=[(specialist, 1.0)])
    with CaptureQueriesContext(connection) as many:
        body_text(marketing_client.get(EXPORT_URL))
    assert len(many) == len(few)


# Filters ------------------------------------------------------------------------------


def test_date_filters_are_inclusive_local_days(marketing_client):
    make_lead(created_at=local_datetime(2025, 3, 9, 23, 59), first_name="Before")
    make_lead(created_at=local_datetime(2025, 3, 10, 0, 0), first_name="FirstDay")
    make_lead(created_at=local_datetime(2025, 3, 12, 23, 59), first_name="LastDay")
    make_lead(created_at=local_datetime(2025, 3, 13, 0, 0), first_name="After")
    rows = export_rows(marketing_client, created_after="2025-03-10", created_before="2025-03-12")
    assert [row["first_name"] for row in rows] == ["FirstDay", "LastDay"]
    only_after = export_rows(marketing_client, created_after="2025-03-13")
    assert [row["first_name"] for row in only_after] == ["After"]
    only_before = export_rows(marketing_client, created_before="2025-03-09")
    assert [row["first_name"] for row in only_before] == ["Before"]
    same_day = export_rows(
        marketing_client, created_after="2025-03-10", created_before="2025-03-10"
    )
    assert [row["first_name"] for row in same_day] == ["FirstDay"]


def test_treatment_filter(marketing_client):
    make_lead(treatment="spinal-cord-stimulation", first_name="Scs")
    make_lead(treatment="nerve-block", first_name="Block")
    make_lead(treatment=None, first_name="None")
    rows = export_rows(marketing_client, treatment="nerve-block")
    assert [row["first_name"] for row in rows] == ["Block"]


def test_state_filter_accepts_any_case(marketing_client):
    make_lead(state="NY", first_name="Newyorker")
    make_lead(state="PR", zip="00901", city="San Juan", first_name="Boricua")
    assert [row["first_name"] for row in export_rows(marketing_client, state="pr")] == ["Boricua"]
    assert [row["first_name"] for row in export_rows(marketing_client, state="NY")] == ["Newyorker"]


def test_status_filter(marketing_client):
    make_lead(status=Lead.Status.NEW, first_name="Fresh")
    make_lead(status=Lead.Status.CLOSED, first_name="Done")
    assert [row["first_name"] for row in export_rows(marketing_client, status="closed")] == ["Done"]


def test_filters_combine_and_blank_values_count_as_absent(marketing_client):
    make_lead(state="NY", status="new", treatment="nerve-block", first_name="Match")
    make_lead(state="NY", status="new", treatment="spinal-fusion", first_name="Other")
    make_lead(state="CA", status="new", treatment="nerve-block", first_name="Elsewhere")
    rows = export_rows(
        marketing_client, state="NY", status="new", treatment="nerve-block", created_after=""
    )
    assert [row["first_name"] for row in rows] == ["Match"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"created_after": "2025-13-01"}, "created_after"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2025/03/01"}, "created_before"),
        ({"created_before": "2025-02-30"}, "created_before"),
        ({"created_after": "2025-03-02", "created_before": "2025-03-01"}, "created_after"),
        ({"treatment": "acupuncture"}, "treatment"),
        ({"treatment": "nerve\x00block"}, "treatment"),
        ({"treatment": "x" * 5000}, "treatment"),
        ({"state": "XX"}, "state"),
        ({"state": "New York"}, "state"),
        ({"status": "won"}, "status"),
        ({"created_afer": "2025-03-01"}, "created_afer"),
    ],
)
def test_bad_filters_get_400_naming_the_parameter_and_no_rows(marketing_client, params, field):
    make_lead(first_name="Secretia")
    response = marketing_client.get(EXPORT_URL, params)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert all(isinstance(message, str) and message for message in body[field])
    assert b"Secretia" not in response.content
    assert not ExportRecord.objects.exists()


# Audit --------------------------------------------------------------------------------


def test_each_export_is_recorded_with_its_row_count_and_filters(marketing_client, marketing_user):
    for _ in range(3):
        make_lead(state="NY")
    make_lead(state="CA")
    response = marketing_client.get(EXPORT_URL, {"state": "ny", "created_after": "2020-01-01"})
    record = ExportRecord.objects.get()
    assert record.completed is False
    body_text(response)
    record.refresh_from_db()
    assert record.user == marketing_user
    assert record.actor == "marketer"
    assert record.channel == ExportRecord.Channel.API
    assert record.filters == {"state": "NY", "created_after": "2020-01-01"}
    assert record.row_count == 3
    assert record.completed is True
    assert record.finished_at >= record.started_at


def test_a_download_cut_short_is_recorded_as_incomplete():
    template = make_lead()
    Lead.objects.bulk_create(
        Lead(
            **{
                field.attname: getattr(template, field.attname)
                for field in Lead._meta.concrete_fields
                if field.attname != "id"
            }
        )
        for _ in range(LINES_PER_WRITE)
    )
    record = export_record_start(
        user=None, actor="test", channel=ExportRecord.Channel.API, filters={}
    )
    # What a WSGI server does when the client hangs up: it closes the body iterator.
    stream = lead_csv_stream(leads=lead_export_list(), record=record)
    next(stream)  # the header
    next(stream)  # the first batch of rows
    stream.close()
    record.refresh_from_db()
    assert record.completed is False
    assert record.row_count == LINES_PER_WRITE


def test_the_export_appears_in_the_openapi_schema(marketing_client):
    schema = marketing_client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/leads/export/" in schema.content
