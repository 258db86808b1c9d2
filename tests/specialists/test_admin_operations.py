"""What operations asked of the admin: certification expiry as a column, filters in a
useful order, why a listing is hidden, rejected import rows to download, a dry run that
can be confirmed, and the site's own name."""

import csv
import datetime
import io

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from specialists.models import Specialist
from tests.factories import make_specialist, valid_npi

from .conftest import csv_text, provider_row
from .test_admin import CHANGELIST, UPLOAD

pytestmark = pytest.mark.django_db


def _upload(client, text: str, **data):
    return client.post(
        UPLOAD, {"file": SimpleUploadedFile("providers.csv", text.encode("utf-8")), **data}
    )


def test_certification_expiry_is_a_sortable_column(admin_client):
    today = timezone.localdate()
    make_specialist(last_name="Lifetime")
    make_specialist(last_name="Late", expires_on=today + datetime.timedelta(days=400))
    make_specialist(last_name="Soon", expires_on=today + datetime.timedelta(days=30))
    column = admin_client.get(CHANGELIST).context["cl"].list_display.index("certification_expiry")

    def order(param):
        response = admin_client.get(CHANGELIST, {"o": param})
        return [s.last_name for s in response.context["cl"].result_list]

    # "o" counts the columns of cl.list_display, the action checkbox first.
    assert order(f"{column}") == ["Soon", "Late", "Lifetime"]
    assert order(f"-{column}") == ["Lifetime", "Late", "Soon"]
    page = admin_client.get(CHANGELIST).content.decode()
    assert "Certification expiry" in page and "No expiry" in page


def test_certification_status_comes_before_the_state_list(admin_client):
    make_specialist()
    page = admin_client.get(CHANGELIST).content.decode()

    assert page.index("By certification status") < page.index("By state")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"active": False}, "inactive"),
        ({"boards": ()}, "no board certification on file"),
        ({"expires_on": datetime.date(2020, 3, 1)}, "the last one expired on March 1, 2020"),
    ],
)
def test_a_hidden_specialist_page_says_why(admin_client, fields, reason):
    specialist = make_specialist(**fields)

    page = admin_client.get(
        reverse("admin:specialists_specialist_change", args=[specialist.pk])
    ).content.decode()

    assert "Hidden from search and patient requests: " in page
    assert reason in page


def test_a_qualifying_specialist_page_has_no_banner(admin_client):
    specialist = make_specialist()

    page = admin_client.get(
        reverse("admin:specialists_specialist_change", args=[specialist.pk])
    ).content.decode()

    assert "Hidden from search" not in page


def test_rejected_rows_show_npi_and_name_and_download_as_csv(admin_client, client):
    text = csv_text(
        [provider_row(1), provider_row(2, zip="00000", first_name="Ana", last_name="Ruiz")]
    )

    page = _upload(admin_client, text).content.decode()

    assert f"<td>{valid_npi(900_002)}</td><td>Ana Ruiz</td>" in page
    link = reverse(
        "admin:specialists_specialist_upload_rejections",
        args=[page.split("upload-csv/rejected/")[1].split("/")[0]],
    )
    download = admin_client.get(link)
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert rows == [
        ["line", "npi", "name", "reason"],
        ["3", valid_npi(900_002), "Ana Ruiz", "zip: Unknown ZIP code 00000."],
    ]

    # The link is the uploader's own.
    other = User.objects.create_superuser("other", "other@example.com", "pw")
    client.force_login(other)
    refused = client.get(link, follow=True)
    assert "no longer available" in refused.content.decode()


def test_a_dry_run_can_be_confirmed_without_choosing_the_file_again(admin_client):
    page = _upload(admin_client, csv_text([provider_row(1)]), dry_run="on").content.decode()
    assert "Dry run: nothing was written" in page
    assert "Import this file now" in page
    assert not Specialist.objects.exists()
    token = page.split('name="staged" value="')[1].split('"')[0]

    confirmed = admin_client.post(UPLOAD, {"staged": token}).content.decode()

    assert "Import finished" in confirmed
    assert Specialist.objects.get().npi == valid_npi(900_001)
    again = admin_client.post(UPLOAD, {"staged": token}).content.decode()
    assert "That dry run is no longer available" in again
    assert admin_client.post(UPLOAD, {"staged": "forged"}).status_code == 200


def test_a_dry_run_can_be_confirmed_on_another_web_host(admin_client, settings, tmp_path):
    page = _upload(admin_client, csv_text([provider_row(1)]), dry_run="on").content.decode()
    token = page.split('name="staged" value="')[1].split('"')[0]
    # Another host: its own disk, the same database.
    settings.MEDIA_ROOT = tmp_path / "another-host"

    confirmed = admin_client.post(UPLOAD, {"staged": token}).content.decode()

    assert "Import finished" in confirmed
    assert Specialist.objects.get().npi == valid_npi(900_001)


def test_a_dry_run_expires(admin_client, settings):
    page = _upload(admin_client, csv_text([provider_row(1)]), dry_run="on").content.decode()
    token = page.split('name="staged" value="')[1].split('"')[0]
    settings.IMPORT_STAGING_MAX_AGE_SECONDS = -1

    response = admin_client.post(UPLOAD, {"staged": token})

    assert "no longer available" in response.content.decode()
    assert not Specialist.objects.exists()


def test_the_admin_carries_the_site_name(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()

    assert f"{settings.SITE_NAME} administration" in page
    assert "Django administration" not in page
