"""The exported CSV opened by a real spreadsheet: LibreOffice Calc, headless.

Runs in the browser stage (scripts/browser-up installs Debian's libreoffice-calc-nogui
and Chromium). The journey test uses the browser fixtures of tests/browser (see conftest).
"""

import os
import re
import shutil
import subprocess
import zipfile

import pytest
from django.contrib.auth.models import Group, User

from marketing.models import ExportRecord
from tests.browser.conftest import DESKTOP
from tests.marketing.conftest import EXPORT_URL, make_lead

pytestmark = pytest.mark.browser

# Comma, double quote, UTF-8, from line 1; evaluate formulas (token 13) as a user who
# ticks that box would, so the test proves more than LibreOffice's defaults.
CSV_IMPORT = "CSV:44,34,76,1,,0,false,true,false,false,false,,true"
PAYLOADS = [
    '=HYPERLINK("http://evil.example","x")',
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
]


def soffice() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is missing: scripts/browser-up installs it")
        pytest.skip("LibreOffice is not installed (scripts/browser-up installs it)")
    return path


def calc_cells(csv_path, tmp_path) -> list[str]:
    """Convert ``csv_path`` to ODS with LibreOffice and return its cells' XML."""
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            f"--infilter={CSV_IMPORT}",
            "--convert-to",
            "ods",
            "--outdir",
            str(tmp_path),
            str(csv_path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    with zipfile.ZipFile(csv_path.with_suffix(".ods")) as ods:
        content = ods.read("content.xml").decode("utf-8")
    return re.findall(r"<table:table-cell\b[^>]*>.*?</table:table-cell>", content, re.S)


def formula_cells(cells: list[str]) -> list[str]:
    return [cell for cell in cells if "table:formula=" in cell]


def test_raw_payloads_do_become_formulas_so_the_checks_below_mean_something(tmp_path):
    raw = tmp_path / "raw.csv"
    raw.write_text("name\r\n=1+1\r\n", encoding="utf-8")
    assert formula_cells(calc_cells(raw, tmp_path))


@pytest.mark.django_db
def test_exported_csv_opens_in_libreoffice_with_no_formula_cells(marketing_client, tmp_path):
    for payload in PAYLOADS:
        make_lead(first_name=payload, last_name=payload, utm_source=payload, utm_campaign=payload)
    make_lead(first_name="José", last_name="王小明")
    response = marketing_client.get(EXPORT_URL)
    export = tmp_path / "leads.csv"
    export.write_bytes(b"".join(response.streaming_content))

    cells = calc_cells(export, tmp_path)
    assert formula_cells(cells) == []
    text = "".join(cells)
    assert "José" in text
    assert "王小明" in text
    assert "&apos;=1+1" in text
    assert "&apos;+1212555" in text


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_marketing_user_logs_in_filters_downloads_and_opens_the_csv(
    live_server, page_at, tmp_path
):
    user = User.objects.create_user("mia", password="a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Marketing"))
    make_lead(state="NY", first_name="=HYPERLINK(1)", last_name="Nuñez")
    make_lead(state="CA", first_name="Californian")

    page = page_at(viewport=DESKTOP, accept_downloads=True)
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Funnel report").click()
    page.get_by_label("State").select_option("NY")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    export = tmp_path / "download.csv"
    download.value.save_as(export)
    page.context.close()

    cells = calc_cells(export, tmp_path)
    assert formula_cells(cells) == []
    text = "".join(cells)
    assert "&apos;=HYPERLINK(1)" in text
    assert "Nuñez" in text
    assert "Californian" not in text
    record = ExportRecord.objects.get()
    assert (record.actor, record.filters, record.row_count) == ("mia", {"state": "NY"}, 1)
