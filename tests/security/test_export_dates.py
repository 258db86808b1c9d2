"""The export's 500: dates at the ends of the calendar overflowed the day arithmetic and
left an unfinished export record. Every date the filter parser accepts now works."""

import io

import pytest
from django.core.management import call_command

from marketing.models import ExportRecord
from tests.marketing.conftest import EXPORT_URL, body_text, local_datetime, make_lead, parse_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_leads():
    make_lead(created_at=local_datetime(2025, 5, 1))
    make_lead(created_at=local_datetime(2025, 6, 1))


@pytest.mark.parametrize("time_zone", ["America/New_York", "Asia/Tokyo", "Pacific/Kiritimati"])
@pytest.mark.parametrize(
    ("params", "rows"),
    [
        ({"created_before": "9999-12-31"}, 2),
        ({"created_after": "0001-01-01"}, 2),
        ({"created_after": "0001-01-01", "created_before": "9999-12-31"}, 2),
        ({"created_after": "9999-12-31"}, 0),
        ({"created_before": "0001-01-01"}, 0),
        ({"created_after": "2025-05-15", "created_before": "9999-12-31"}, 1),
    ],
)
def test_calendar_end_dates_export_and_complete_their_record(
    settings, marketing_client, two_leads, time_zone, params, rows
):
    settings.TIME_ZONE = time_zone

    response = marketing_client.get(EXPORT_URL, params)

    assert response.status_code == 200
    assert len(parse_csv(body_text(response))) == rows + 1
    record = ExportRecord.objects.get()
    assert (record.completed, record.row_count) == (True, rows)


@pytest.mark.parametrize(
    "args",
    [
        ["--created-before", "9999-12-31"],
        ["--created-after", "0001-01-01"],
        ["--report", "funnel", "--created-before", "9999-12-31"],
        ["--report", "funnel", "--created-before", "0001-01-05"],
        ["--report", "funnel", "--created-after", "0001-01-01", "--created-before", "9999-12-31"],
    ],
)
def test_the_command_takes_calendar_end_dates(two_leads, args):
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command("export_leads", *args, stdout=stdout, stderr=stderr)

    assert parse_csv(stdout.getvalue())[0][0] in ("id", "day")
    assert not ExportRecord.objects.filter(completed=False).exists()
