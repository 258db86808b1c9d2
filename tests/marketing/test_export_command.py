import io

import pytest
from django.core.management import CommandError, call_command

from leads.models import Lead
from marketing.management.commands.export_leads import PROGRESS_MIN_ROWS
from marketing.models import ExportRecord
from tests.factories import make_specialist
from tests.marketing.conftest import EXPORT_URL, body_text, local_datetime, make_lead, parse_csv

pytestmark = pytest.mark.django_db


def run_export(*args) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("export_leads", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


@pytest.fixture
def mixed_leads():
    specialist = make_specialist(first_name="Jane", last_name="Doe")
    make_lead(
        created_at=local_datetime(2025, 5, 1),
        state="NY",
        first_name="=evil()",
        last_name="王",
        matches=[(specialist, 0.4)],
    )
    make_lead(created_at=local_datetime(2025, 5, 2), state="NY", status="closed")
    make_lead(created_at=local_datetime(2025, 5, 3), state="CA", treatment="nerve-block")
    make_lead(created_at=local_datetime(2025, 6, 1), state="NY", utm_source="+tab")


@pytest.mark.parametrize(
    ("params", "expected_rows"),
    [
        ({}, 4),
        ({"created_after": "2025-05-02", "created_before": "2025-05-31"}, 2),
        ({"state": "NY"}, 3),
        ({"status": "closed"}, 1),
        ({"treatment": "nerve-block"}, 1),
        ({"state": "NY", "treatment": "spinal-cord-stimulation", "status": "new"}, 2),
    ],
)
def test_command_writes_exactly_what_the_api_streams(
    marketing_client, mixed_leads, params, expected_rows
):
    api_text = body_text(marketing_client.get(EXPORT_URL, params))
    args = [f"--{name.replace('_', '-')}={value}" for name, value in params.items()]
    command_text, _ = run_export(*args)
    assert command_text == api_text
    assert len(parse_csv(command_text)) == expected_rows + 1


def test_output_file_is_byte_identical_to_the_api(marketing_client, mixed_leads, tmp_path):
    target = tmp_path / "leads.csv"
    stdout, stderr = run_export("--output", str(target), "--state", "NY")
    assert stdout == ""
    assert "Exported 3 leads" in stderr
    api_bytes = b"".join(marketing_client.get(EXPORT_URL, {"state": "NY"}).streaming_content)
    assert target.read_bytes() == api_bytes


def test_command_export_is_recorded(mixed_leads):
    run_export("--state", "ny")
    record = ExportRecord.objects.get()
    assert record.channel == ExportRecord.Channel.COMMAND
    assert record.user is None
    assert record.actor
    assert record.filters == {"state": "NY"}
    assert record.row_count == 3
    assert record.completed is True


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--created-after", "2025-13-01"], "--created-after"),
        (["--created-before", "tomorrow"], "--created-before"),
        (["--created-after", "2025-03-02", "--created-before", "2025-03-01"], "--created-after"),
        (["--treatment", "acupuncture"], "--treatment"),
        (["--state", "XX"], "--state"),
        (["--status", "won"], "--status"),
        (["--report", "funnel", "--state", "NY"], "--state"),
    ],
)
def test_bad_options_name_the_option(args, option):
    with pytest.raises(CommandError) as error:
        run_export(*args)
    assert str(error.value).startswith(option)
    assert not ExportRecord.objects.exists()


def test_unwritable_output_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="--output"):
        run_export("--output", str(tmp_path / "missing-dir" / "leads.csv"))


def test_a_large_export_shows_a_progress_bar_on_stderr_only(capsys):
    template = make_lead()
    Lead.objects.bulk_create(
        Lead(
            **{
                field.attname: getattr(template, field.attname)
                for field in Lead._meta.concrete_fields
                if field.attname != "id"
            }
        )
        for _ in range(PROGRESS_MIN_ROWS)
    )
    stdout, _ = run_export()
    assert len(parse_csv(stdout)) == PROGRESS_MIN_ROWS + 2
    bar = capsys.readouterr().err
    assert f"{PROGRESS_MIN_ROWS + 1}/{PROGRESS_MIN_ROWS + 1}" in bar
    assert "lead" in bar


def test_a_small_export_shows_no_progress_bar(capsys, mixed_leads):
    run_export()
    assert capsys.readouterr().err == ""
