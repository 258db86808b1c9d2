"""`manage.py import_nppes` on small files in the real NPPES layout."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from specialists.importing import COLUMNS
from specialists.models import DirectoryVersion, ListingChange, Specialist
from tests.factories import make_specialist, valid_npi
from tests.nppes import nppes_file, nppes_header, nppes_row, nppes_text

pytestmark = pytest.mark.django_db

NEW = valid_npi(700_001)
FAMILY_DOCTOR = valid_npi(700_002)
CLINIC = valid_npi(700_003)


@pytest.fixture
def import_nppes(tmp_path):
    """Write the rows to an NPPES file and run the command; its stdout."""

    def run(rows, *args, header=None) -> str:
        path = nppes_file(tmp_path / "npidata_pfile.csv", rows, header=header)
        stdout = io.StringIO()
        call_command("import_nppes", str(path), *args, stdout=stdout, stderr=io.StringIO())
        return stdout.getvalue()

    return run


def _version() -> int:
    return DirectoryVersion.objects.get_or_create(pk=1)[0].number


def test_round_trip_creates_updates_and_deactivates(import_nppes):
    moved = make_specialist(
        first_name="Omar", last_name="Ali", phone="+12125550111", address_line1="5 Old Rd"
    )
    leaving = make_specialist(last_name="Leaving")
    version = _version()
    rows = [
        nppes_row(NEW, last_name="O'BRIEN", first_name="MARY", credential="M.D."),
        nppes_row(FAMILY_DOCTOR, taxonomies=["207Q00000X"]),
        nppes_row(CLINIC, entity_type="2", last_name="", first_name=""),
        nppes_row(
            moved.npi,
            first_name="OMAR",
            last_name="ALI",
            line1="200 PARK AVE S",
            line2="STE 1400",
            postal_code="10003",
            phone="212-555-0177",
            taxonomies=["207Q00000X", "207T00000X"],
        ),
        nppes_row(leaving.npi, deactivated="05/01/2025"),
    ]

    out = import_nppes(rows)

    assert "5 rows scanned, 3 for the directory: 1 created (inactive drafts), 1 updated" in out
    assert "1 deactivated; 1 skipped (an organisation (entity type 2), not a person: 1)" in out
    draft = Specialist.objects.get(npi=NEW)
    assert (draft.first_name, draft.last_name, draft.credentials) == ("Mary", "O'Brien", "MD")
    assert (draft.specialty, draft.taxonomy_code) == (
        "Orthopaedic Surgery of the Spine",
        "207XS0117X",
    )
    assert (draft.address_line1, draft.city, draft.state, draft.zip) == (
        "100 Main St",
        "New York",
        "NY",
        "10001",
    )
    assert (draft.phone, draft.active, draft.source) == ("+12125550100", False, "nppes")
    assert draft.location_source == "zip"
    # NPPES vouches for the address as of the provider's last update there.
    assert draft.address_verified_on == datetime.date(2024, 7, 8)
    assert draft.address_verified_source == "nppes"
    assert "inactive: a draft from NPPES waiting for review" in draft.search_hidden_reasons()
    assert not Specialist.objects.filter(npi__in=[FAMILY_DOCTOR, CLINIC]).exists()

    moved.refresh_from_db()
    assert (moved.address_line1, moved.address_line2, moved.zip) == (
        "200 Park Ave S",
        "Ste 1400",
        "10003",
    )
    assert (moved.first_name, moved.last_name, moved.phone) == ("Omar", "Ali", "+12125550177")
    assert moved.taxonomy_code == "207T00000X"
    assert moved.active and moved.address_verified_source == "nppes"
    changes = {
        (c.field, c.old_value, c.new_value)
        for c in ListingChange.objects.filter(specialist=moved, source="nppes")
    }
    assert changes == {
        ("address_line1", "5 Old Rd", "200 Park Ave S"),
        ("address_line2", "", "Ste 1400"),
        ("zip", "10001", "10003"),
        ("phone", "+12125550111", "+12125550177"),
        ("taxonomy_code", "", "207T00000X"),
    }
    leaving.refresh_from_db()
    assert not leaving.active
    assert ListingChange.objects.get(specialist=leaving).field == "active"
    assert _version() == version + 1

    # The same file again changes nothing, and the directory version stays.
    again = import_nppes(rows)
    assert "0 created (inactive drafts), 0 updated (0 field changes), 3 unchanged" in again
    assert ListingChange.objects.count() == 6
    assert _version() == version + 1

    # Next month the draft has moved.
    import_nppes([nppes_row(NEW, line1="1 BROADWAY", postal_code="10004")])
    draft.refresh_from_db()
    assert (draft.address_line1, draft.zip) == ("1 Broadway", "10004")
    assert ListingChange.objects.filter(specialist=draft, field="address_line1").exists()


def test_differences_of_case_and_punctuation_are_not_changes(import_nppes):
    listed = make_specialist(
        first_name="Sean",
        last_name="McDonald",
        address_line1="100 Main St.",
        city="New York",
        phone="+12125550100",
        taxonomy_code="207XS0117X",
    )

    out = import_nppes([nppes_row(listed.npi, first_name="SEAN", last_name="MCDONALD")])

    assert "0 updated (0 field changes), 1 unchanged" in out
    listed.refresh_from_db()
    assert listed.last_name == "McDonald"
    assert not ListingChange.objects.exists()


def test_a_reactivated_npi_is_not_deactivated(import_nppes):
    listed = make_specialist(phone="+12125550100", address_line1="100 Main St")

    import_nppes([nppes_row(listed.npi, deactivated="01/02/2020", reactivated="03/04/2021")])

    listed.refresh_from_db()
    assert listed.active


def test_malformed_rows_are_skipped_and_counted_per_reason(import_nppes):
    good = valid_npi(700_010)
    rows = [
        nppes_row(good),
        nppes_row("1234567890"),
        nppes_row(valid_npi(700_011), phone=""),
        nppes_row(valid_npi(700_012), phone="555"),
        nppes_row(valid_npi(700_013), postal_code="00000"),
        nppes_row(valid_npi(700_014), postal_code="1000"),
        nppes_row(valid_npi(700_015), state="NJ"),
        nppes_row(valid_npi(700_016), first_name=""),
        nppes_row(valid_npi(700_017), line1=""),
        nppes_row(valid_npi(700_018), **{"Last Update Date": "2024-07-08"}),
        nppes_row(valid_npi(700_019))[:100],
        nppes_row(good, phone="2125550199"),
    ]

    out = import_nppes(rows)

    for reason in [
        "malformed NPI: 1",
        "missing phone: 1",
        "malformed phone: 1",
        "unknown ZIP code: 1",
        "malformed ZIP code: 1",
        "state does not match the ZIP code: 1",
        "missing first or last name: 1",
        "missing practice address: 1",
        "malformed date: 1",
        "wrong number of values: 1",
        "NPI repeated in the file: 1",
    ]:
        assert reason in out
    assert "1 created (inactive drafts)" in out and "11 skipped" in out
    assert list(Specialist.objects.values_list("npi", "phone")) == [(good, "+12125550100")]


def test_a_header_that_is_not_nppes_is_refused_naming_the_missing_columns(tmp_path):
    provider_csv = tmp_path / "providers.csv"
    provider_csv.write_text(",".join(COLUMNS) + "\n" + "x," * 17 + "x\n")
    short = nppes_header()
    short.remove("NPI Reactivation Date")
    short.remove("Provider Sex Code")
    no_reactivation = tmp_path / "short.csv"
    no_reactivation.write_text(nppes_text([], header=short))

    with pytest.raises(CommandError) as refused:
        call_command("import_nppes", str(provider_csv), stdout=io.StringIO())
    assert str(refused.value).startswith("Not an NPPES data dissemination file: missing columns")
    assert "'NPI', 'Entity Type Code', 'Provider Last Name (Legal Name)'" in str(refused.value)
    assert "'Healthcare Provider Primary Taxonomy Switch_15'" in str(refused.value)

    with pytest.raises(CommandError) as refused:
        call_command("import_nppes", str(no_reactivation), stdout=io.StringIO())
    assert str(refused.value) == (
        "Not an NPPES data dissemination file: missing columns 'NPI Reactivation Date', "
        "'Provider Sex Code or Provider Gender Code'."
    )
    moved = nppes_header()
    moved.append(moved.pop(0))
    with pytest.raises(CommandError, match="NPI is not the first column"):
        call_command(
            "import_nppes",
            str(nppes_file(tmp_path / "moved.csv", [], header=moved)),
            stdout=io.StringIO(),
        )
    assert not Specialist.objects.exists()


def test_older_files_name_the_sex_column_gender(import_nppes):
    header = nppes_header(sex_column="Provider Gender Code", certification_date=False)
    assert len(header) == 329 and len(nppes_header()) == 330

    out = import_nppes([nppes_row(NEW, header=header)], header=header)

    assert "1 created" in out
    assert Specialist.objects.filter(npi=NEW).exists()


def test_dry_run_writes_nothing(import_nppes):
    listed = make_specialist(last_name="Stays")
    version = _version()

    out = import_nppes(
        [nppes_row(NEW), nppes_row(listed.npi, deactivated="05/01/2025")], "--dry-run"
    )

    assert "1 created (inactive drafts)" in out and "1 deactivated" in out
    assert out.rstrip().endswith("(dry run: nothing written)")
    assert list(Specialist.objects.all()) == [listed]
    listed.refresh_from_db()
    assert listed.active
    assert not ListingChange.objects.exists()
    assert _version() == version


def test_taxonomy_option_picks_other_specialties(import_nppes):
    out = import_nppes(
        [nppes_row(NEW), nppes_row(FAMILY_DOCTOR, taxonomies=["207Q00000X"])],
        "--taxonomy",
        "207q00000x",
    )

    assert "1 created" in out
    assert Specialist.objects.get().specialty == "Taxonomy 207Q00000X"
    with pytest.raises(CommandError, match="not 207Q"):
        import_nppes([], "--taxonomy", "207Q")


def test_the_primary_taxonomy_wins_and_a_quoted_line_break_is_one_value(import_nppes):
    import_nppes(
        [
            nppes_row(
                NEW,
                taxonomies=["207X00000X", "208VP0014X"],
                primary="208VP0014X",
                line2="FLOOR 2\nEAST WING",
            )
        ]
    )

    draft = Specialist.objects.get()
    assert (draft.taxonomy_code, draft.specialty) == ("208VP0014X", "Interventional Pain Medicine")
    assert draft.address_line2 == "Floor 2 East Wing"
