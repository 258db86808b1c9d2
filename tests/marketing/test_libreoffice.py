"""The exported CSV opened by a real spreadsheet: LibreOffice Calc, headless.

Runs in the browser stage (scripts/browser-up installs Debian's libreoffice-calc-nogui).
"""

import os
import re
import shutil
import subprocess
import zipfile

import pytest

from tests.marketing.conftest import EXPORT_URL, make_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

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


def test_raw_payloads_do_become_formulas_so_the_check_below_means_something(tmp_path):
    raw = tmp_path / "raw.csv"
    raw.write_text("name\r\n=1+1\r\n", encoding="utf-8")
    assert any("table:formula=" in cell for cell in calc_cells(raw, tmp_path))


def test_exported_csv_opens_in_libreoffice_with_no_formula_cells(marketing_client, tmp_path):
    for payload in PAYLOADS:
        make_lead(first_name=payload, last_name=payload, utm_source=payload, utm_campaign=payload)
    make_lead(first_name="José", last_name="王小明")
    response = marketing_client.get(EXPORT_URL)
    export = tmp_path / "leads.csv"
    export.write_bytes(b"".join(response.streaming_content))

    cells = calc_cells(export, tmp_path)
    formulas = [cell for cell in cells if "table:formula=" in cell]
    assert formulas == []
    text = "".join(cells)
    assert "José" in text
    assert "王小明" in text
    assert "&apos;=1+1" in text
    assert "&apos;+1212555" in text
