import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from specialists.models import (
    BoardCertification,
    DirectoryVersion,
    Institute,
    Specialist,
)
from tests.factories import valid_npi

from .conftest import csv_text, provider_row

pytestmark = pytest.mark.django_db


def _version() -> int:
    return DirectoryVersion.objects.get(pk=1).number


def test_good_rows_are_imported_with_everything_the_card_needs(run_import):
    result = run_import(
        [
            provider_row(1, latitude="40.75", longitude="-73.99"),
            provider_row(2, institute="", boards="ABOS;ABNS:2030-01-31", active="no"),
        ]
    )

    assert result.error is None
    assert "2 rows: 2 created, 0 updated, 0 unchanged, 0 rejected; 1 new institutes" in (
        result.stdout
    )
    first = Specialist.objects.get(npi=valid_npi(900_001))
    assert first.slug == f"jane-doe1-md-{first.npi}"
    assert first.phone == "+12125550100"
    assert (first.latitude, first.longitude, first.location_source) == (40.75, -73.99, "explicit")
    assert first.institute.name == "Midtown Spine Institute"
    assert first.source == "import"
    assert sorted(first.treatments.values_list("slug", flat=True)) == [
        "discectomy",
        "spinal-cord-stimulation",
    ]
    assert first.is_board_certified()
    second = Specialist.objects.get(npi=valid_npi(900_002))
    assert second.institute is None
    assert second.active is False
    assert second.location_source == "zip"
    assert (round(second.latitude, 2), round(second.longitude, 2)) == (40.75, -74.0)
    assert dict(second.certifications.values_list("board__code", "expires_on")) == {
        "ABOS": None,
        "ABNS": datetime.date(2030, 1, 31),
    }
    institute = Institute.objects.get()
    assert institute.slug == "midtown-spine-institute"
    assert institute.phone == "+12125550100"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"npi": "1234567890"}, "npi: the check digit of 1234567890 is wrong"),
        ({"npi": "12345"}, "npi: must be exactly 10 digits"),
        ({"zip": "00000", "state": "NY"}, "zip: Unknown ZIP code 00000."),
        ({"zip": "1000"}, "zip: Enter a 5-digit US ZIP code."),
        ({"treatments": "discectomy;back-magic"}, "treatments: unknown treatment 'back-magic'"),
        ({"boards": "ABOS:2031-12-31;XYZ"}, "boards: unknown board code 'XYZ'"),
        (
            {"boards": "ABOS:12/31/2031"},
            "boards: ABOS has a malformed date '12/31/2031' (use YYYY-MM-DD)",
        ),
        (
            {"boards": "ABOS:2031-02-30"},
            "boards: ABOS has a malformed date '2031-02-30' (use YYYY-MM-DD)",
        ),
        ({"boards": "ABOS;ABOS:2030-01-01"}, "boards: ABOS is listed twice"),
        ({"phone": "+44 20 7946 0958"}, "phone: not a valid US phone number"),
        ({"phone": "555-0100"}, "phone: not a valid US phone number"),
        ({"state": "CA"}, "state: CA does not match ZIP 10001, which is in NY"),
        ({"latitude": "40.7"}, "latitude/longitude: give both or neither"),
        ({"latitude": "95", "longitude": "-73.9"}, "latitude: must be between -90 and 90"),
        ({"latitude": "40.7", "longitude": "east"}, "longitude: not a number"),
        ({"active": "maybe"}, "active: use true/false, yes/no or 1/0"),
        ({"last_name": ""}, "last_name: required"),
        ({"first_name": "J" * 81}, "first_name: longer than 80 characters"),
    ],
)
def test_bad_row_is_rejected_with_line_and_reason_and_good_rows_still_import(
    run_import, overrides, reason
):
    before = _version()
    result = run_import([provider_row(1), provider_row(2, **overrides), provider_row(3)])

    assert result.error is not None
    assert result.rejected_lines == [f"line 3: {reason}"]
    assert "2 created, 0 updated, 0 unchanged, 1 rejected" in result.stdout
    assert set(Specialist.objects.values_list("npi", flat=True)) == {
        valid_npi(900_001),
        valid_npi(900_003),
    }
    assert _version() > before


def test_every_problem_of_a_row_is_reported_together(run_import):
    result = run_import([provider_row(1, npi="1234567890", zip="00000", phone="12")])

    assert result.rejected_lines == [
        "line 2: npi: the check digit of 1234567890 is wrong; zip: Unknown ZIP code 00000.; "
        "phone: not a valid US phone number"
    ]


def test_rejections_never_echo_phone_numbers_or_names(run_import):
    result = run_import([provider_row(1, phone="(999) 123-4567", first_name="")])

    assert "999" not in result.stderr
    assert "Doe1" not in result.stderr


def test_line_numbers_count_quoted_line_breaks_and_blank_lines(run_import):
    first = csv_text([provider_row(1, address_line2="Building A\nFloor 3")])
    second = csv_text([provider_row(2, npi="1")]).split("\r\n", 1)[1]
    text = first + "\r\n" + second

    result = run_import(text=text)

    assert result.rejected_lines == ["line 5: npi: must be exactly 10 digits"]
    assert Specialist.objects.get().address_line2 == "Building A\nFloor 3"


def test_duplicate_npi_in_one_file_is_rejected(run_import):
    result = run_import([provider_row(1), provider_row(2), provider_row(1, last_name="Other")])

    assert result.rejected_lines == [f"line 4: npi: {valid_npi(900_001)} already appears on line 2"]
    assert Specialist.objects.get(npi=valid_npi(900_001)).last_name == "Doe1"


def test_duplicate_npi_across_batches_is_rejected(run_import, monkeypatch):
    monkeypatch.setattr("specialists.importing.BATCH_SIZE", 2)
    rows = [provider_row(n) for n in range(1, 6)] + [provider_row(2, last_name="Again")]

    result = run_import(rows)

    assert result.rejected_lines == [f"line 7: npi: {valid_npi(900_002)} already appears on line 3"]
    assert Specialist.objects.count() == 5


def test_row_with_wrong_number_of_values_is_rejected(run_import):
    text = csv_text([provider_row(1)]) + "1234567893,Jane,Doe\r\n"

    result = run_import(text=text)

    assert result.rejected_lines == ["line 3: has 3 values but the header has 18"]
    assert Specialist.objects.count() == 1


def test_missing_columns_stop_the_import_with_a_clear_error(run_import):
    columns = [name for name in provider_row(1) if name not in ("zip", "phone")]

    result = run_import([provider_row(1)], columns=columns)

    assert "Missing required columns: zip, phone." in str(result.error)
    assert not Specialist.objects.exists()


def test_empty_file_is_reported(run_import):
    assert "The file is empty" in str(run_import(text="").error)


def test_a_non_utf8_line_stops_the_import_after_the_rows_before_it(tmp_path):
    good = csv_text([provider_row(1), provider_row(2)])
    bad = csv_text([provider_row(3, first_name="José")]).split("\r\n", 1)[1]
    path = tmp_path / "mixed.csv"
    path.write_bytes(good.encode("utf-8") + bad.encode("latin-1"))
    stdout = io.StringIO()

    with pytest.raises(CommandError, match="Line 4 is not UTF-8 text"):
        call_command("import_providers", str(path), stdout=stdout)

    assert "2 created" in stdout.getvalue()
    assert Specialist.objects.count() == 2


def test_optional_columns_may_be_left_out(run_import):
    columns = [
        "npi", "first_name", "last_name", "specialty", "address_line1", "city", "state", "zip",
        "phone", "treatments", "boards", "notes",
    ]  # fmt: skip

    result = run_import([{**provider_row(1), "notes": "x"}], columns=columns)

    assert result.error is None
    assert "ignored unknown column 'notes'" in result.stderr
    specialist = Specialist.objects.get()
    assert (specialist.active, specialist.accepting_new_patients) == (True, True)
    assert specialist.institute is None


def test_dry_run_writes_nothing(run_import):
    before = _version()

    result = run_import([provider_row(1), provider_row(2, zip="00000")], dry_run=True)

    assert result.rejected_lines == ["line 3: zip: Unknown ZIP code 00000."]
    assert "1 created" in result.stdout and "dry run: nothing written" in result.stdout
    assert not Specialist.objects.exists()
    assert not Institute.objects.exists()
    assert _version() == before


def test_reimporting_the_same_file_changes_nothing(run_import):
    rows = [provider_row(n) for n in range(1, 4)] + [provider_row(4, institute="")]
    assert run_import(rows).error is None
    stamps = dict(Specialist.objects.values_list("npi", "updated_at"))
    certifications = list(BoardCertification.objects.values_list("id", "expires_on"))
    version = _version()

    result = run_import(rows)

    assert result.error is None
    assert "0 created, 0 updated, 4 unchanged, 0 rejected; 0 new institutes" in result.stdout
    assert dict(Specialist.objects.values_list("npi", "updated_at")) == stamps
    assert list(BoardCertification.objects.values_list("id", "expires_on")) == certifications
    assert _version() == version
    assert Institute.objects.count() == 1


def test_a_changed_row_updates_only_that_specialist(run_import):
    rows = [provider_row(1), provider_row(2)]
    run_import(rows)
    untouched = Specialist.objects.get(npi=valid_npi(900_002)).updated_at
    first = Specialist.objects.get(npi=valid_npi(900_001))
    first.certifications.update(certified_since=datetime.date(2015, 1, 1))
    version = _version()

    rows[0] = provider_row(
        1,
        last_name="Smith",
        boards="ABOS:2035-06-30;ABNS",
        treatments="nerve-block",
        institute="Uptown Spine Center",
        accepting_new_patients="no",
    )
    result = run_import(rows)

    assert "0 created, 1 updated, 1 unchanged" in result.stdout
    first.refresh_from_db()
    assert first.last_name == "Smith"
    assert first.slug == f"jane-doe1-md-{first.npi}"
    assert first.accepting_new_patients is False
    assert first.institute.name == "Uptown Spine Center"
    assert list(first.treatments.values_list("slug", flat=True)) == ["nerve-block"]
    abos = first.certifications.get(board__code="ABOS")
    assert (abos.expires_on, abos.certified_since) == (
        datetime.date(2035, 6, 30),
        datetime.date(2015, 1, 1),
    )
    assert first.certifications.get(board__code="ABNS").expires_on is None
    assert Specialist.objects.get(npi=valid_npi(900_002)).updated_at == untouched
    assert _version() == version + 1

    rows[0]["boards"] = "ABNS"
    run_import(rows)
    assert list(first.certifications.values_list("board__code", flat=True)) == ["ABNS"]


def test_expiry_before_stored_certified_since_is_rejected(run_import):
    run_import([provider_row(1)])
    BoardCertification.objects.update(certified_since=datetime.date(2020, 1, 1))

    result = run_import([provider_row(1, boards="ABOS:2019-12-31")])

    assert result.rejected_lines == [
        "line 2: boards: expiry 2019-12-31 is before the stored certified-since date 2020-01-01"
    ]


def test_institute_names_match_case_insensitively_and_slugs_stay_unique(run_import):
    Institute.objects.create(
        name="Other",
        slug="midtown-spine-institute",
        address_line1="1 A St",
        city="New York",
        state="NY",
        zip="10001",
        latitude=40.7,
        longitude=-74.0,
    )
    run_import([provider_row(1), provider_row(2, institute="midtown  SPINE institute")])

    institute = Institute.objects.get(name="Midtown Spine Institute")
    assert institute.slug == "midtown-spine-institute-2"
    assert institute.specialists.count() == 2


def test_empty_treatments_and_boards_clear_them(run_import):
    run_import([provider_row(1)])

    result = run_import([provider_row(1, treatments="", boards="")])

    assert result.error is None
    specialist = Specialist.objects.get()
    assert not specialist.treatments.exists()
    assert not specialist.certifications.exists()
    assert not specialist.is_board_certified()


def test_street_geocoder_places_rows_without_coordinates(run_import, monkeypatch):
    asked = []

    def geocode(*, line1, city, state, zip):
        asked.append((line1, city, state, zip))
        return (40.7501, -73.9901) if line1 == "1 Main St" else None

    monkeypatch.setattr("specialists.services.geocode_street_address", geocode)

    run_import([provider_row(1), provider_row(2)], dry_run=True)
    assert asked == []

    run_import([provider_row(1), provider_row(2), provider_row(3, latitude="41", longitude="-74")])

    places = dict(Specialist.objects.values_list("npi", "location_source"))
    assert places == {
        valid_npi(900_001): "geocoder",
        valid_npi(900_002): "zip",
        valid_npi(900_003): "explicit",
    }
    assert asked == [
        ("1 Main St", "New York", "NY", "10001"),
        ("2 Main St", "New York", "NY", "10001"),
    ]
    assert Specialist.objects.get(npi=valid_npi(900_001)).latitude == 40.7501
