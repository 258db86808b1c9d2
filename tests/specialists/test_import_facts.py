"""The import's optional columns for what patients filter on: languages, gender,
telehealth and insurance. A file without a column keeps what is stored."""

import pytest

from specialists.importing import COLUMNS
from specialists.models import Specialist
from tests.factories import valid_npi

from .conftest import provider_row

pytestmark = pytest.mark.django_db

FACT_COLUMNS = (*COLUMNS, "languages", "gender", "telehealth", "insurance")


def stored(n: int) -> tuple:
    specialist = Specialist.objects.get(npi=valid_npi(900_000 + n))
    return (
        specialist.languages,
        specialist.gender,
        specialist.telehealth,
        sorted(specialist.insurance.values_list("slug", flat=True)),
    )


def test_the_facts_are_read_normalised_and_stored(run_import):
    result = run_import(
        [
            provider_row(
                1,
                languages=" ES; en ;es ",
                gender="F",
                telehealth="yes",
                insurance="Medicare;aetna",
            ),
            provider_row(2, languages="", gender="male", telehealth="", insurance=""),
        ],
        columns=FACT_COLUMNS,
    )
    assert result.error is None, result.stderr
    assert stored(1) == ("en;es", "F", True, ["aetna", "medicare"])
    assert stored(2) == ("", "M", False, [])


def test_bad_facts_are_rejected_with_their_column(run_import):
    result = run_import(
        [provider_row(1, languages="en;xx", gender="W", telehealth="maybe", insurance="acme")],
        columns=FACT_COLUMNS,
    )
    (line,) = result.rejected_lines
    assert "languages: 'xx' is not an ISO 639-1 language code" in line
    assert "gender: use F or M" in line
    assert "telehealth: use true/false" in line
    assert "insurance: unknown insurance plan 'acme'" in line


def test_a_file_without_the_columns_keeps_what_is_stored_and_reimports_unchanged(run_import):
    facts = {"languages": "en;vi", "gender": "F", "telehealth": "yes", "insurance": "tricare"}
    run_import([provider_row(1, **facts)], columns=FACT_COLUMNS)

    again = run_import([provider_row(1)])
    assert "0 updated, 1 unchanged" in again.stdout
    changed = run_import([provider_row(1, city="Manhattan")])
    assert "1 updated" in changed.stdout
    assert stored(1) == ("en;vi", "F", True, ["tricare"])

    same = run_import([provider_row(1, city="Manhattan", **facts)], columns=FACT_COLUMNS)
    assert "1 unchanged" in same.stdout
    cleared = run_import(
        [provider_row(1, city="Manhattan", languages="en", insurance="")], columns=FACT_COLUMNS
    )
    assert "1 updated" in cleared.stdout
    assert stored(1) == ("en", "", False, [])


def test_a_listing_phone_with_an_extension_is_refused_not_cut(run_import):
    result = run_import([provider_row(1, phone="212-555-0100 ext. 12")])
    (line,) = result.rejected_lines
    assert "phone: a listing's phone cannot carry an extension" in line
    assert not Specialist.objects.exists()
