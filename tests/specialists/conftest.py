import csv
import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from specialists.importing import COLUMNS
from tests.factories import valid_npi


def provider_row(n: int, **overrides) -> dict:
    """A valid import row (New York, ZIP 10001) for the ``n``-th test provider."""
    row = {
        "npi": valid_npi(900_000 + n),
        "first_name": "Jane",
        "last_name": f"Doe{n}",
        "credentials": "MD",
        "specialty": "Orthopaedic spine surgery",
        "institute": "Midtown Spine Institute",
        "address_line1": f"{n} Main St",
        "address_line2": "",
        "city": "New York",
        "state": "NY",
        "zip": "10001",
        "phone": "(212) 555-0100",
        "latitude": "",
        "longitude": "",
        "treatments": "spinal-cord-stimulation;discectomy",
        "boards": "ABOS:2031-12-31",
        "accepting_new_patients": "yes",
        "active": "",
    }
    row.update(overrides)
    return row


def csv_text(rows: list[dict], columns=COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


class ImportRun:
    def __init__(self, stdout: str, stderr: str, error: CommandError | None):
        self.stdout, self.stderr, self.error = stdout, stderr, error

    @property
    def rejected_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("line ")]


@pytest.fixture
def run_import(tmp_path):
    """Write rows to a CSV file and run `manage.py import_providers` on it."""

    def run(rows=None, *, text=None, dry_run=False, columns=COLUMNS) -> ImportRun:
        path = tmp_path / "providers.csv"
        path.write_text(text if text is not None else csv_text(rows, columns), encoding="utf-8")
        stdout, stderr = io.StringIO(), io.StringIO()
        args = [str(path), "--dry-run"] if dry_run else [str(path)]
        try:
            call_command("import_providers", *args, stdout=stdout, stderr=stderr)
            error = None
        except CommandError as raised:
            error = raised
        return ImportRun(stdout.getvalue(), stderr.getvalue(), error)

    return run


@pytest.fixture
def admin_user():
    return User.objects.create_superuser("ops", "ops@example.com", "pw")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client
