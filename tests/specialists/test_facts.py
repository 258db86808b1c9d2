"""The vocabularies of listing facts: languages, specialty groups, opening hours, and the
insurance catalog loaded from its content file."""

import pytest
from django.core.exceptions import ValidationError

from specialists.catalog import CONTENT_DIR, ContentError, catalog_load
from specialists.facts import (
    LanguageCodeError,
    language_codes_parse,
    language_names,
    opening_hours_parse,
    specialty_group,
    validate_language_codes,
)
from specialists.models import InsurancePlan


def test_language_codes_are_iso_639_1_stored_sorted_and_named_english_first():
    assert language_codes_parse(" VI;en; es ;en") == "en;es;vi"
    assert language_codes_parse("") == ""
    with pytest.raises(LanguageCodeError, match="'xx' is not an ISO 639-1"):
        language_codes_parse("en;xx")
    assert language_names("es;en;zh") == ["English", "Chinese", "Spanish"]
    with pytest.raises(ValidationError):
        validate_language_codes("es;en")


@pytest.mark.parametrize(
    ("specialty", "group"),
    [
        ("Orthopaedic spine surgery", "surgery"),
        ("Neurological Surgery", "surgery"),
        ("Anesthesiology, Pain Medicine", "pain-medicine"),
        ("Neurology (pain medicine)", "pain-medicine"),
        ("Physical Medicine & Rehabilitation", "rehabilitation"),
        ("Family medicine", None),
    ],
)
def test_specialties_fall_into_the_groups_patients_choose_between(specialty, group):
    assert specialty_group(specialty) == group


def test_opening_hours_read_as_patients_say_them():
    rules = opening_hours_parse("Mo-Fr 08:00-17:00\n\nSa,Su 09:00-12:30\nMo,We-Th 13:00-18:00")
    assert [(r.days_text, r.hours_text) for r in rules] == [
        ("Monday to Friday", "8 a.m.–5 p.m."),
        ("Saturday, Sunday", "9 a.m.–12:30 p.m."),
        ("Monday, Wednesday, Thursday", "1 p.m.–6 p.m."),
    ]
    for bad, problem in [
        ("Mon-Fri 8-5", "Line 1: write days and hours"),
        ("Mo-Fr 08:00-17:00\nSa 12:00-09:00", "Line 2: closing time must be after"),
        ("Mo 25:00-26:00", "Line 1: write days and hours"),
    ]:
        with pytest.raises(ValidationError, match=problem):
            opening_hours_parse(bad)


@pytest.mark.django_db
def test_the_insurance_catalog_comes_from_its_file_and_an_admins_edit_stays(tmp_path):
    import shutil

    assert list(InsurancePlan.objects.values_list("slug", flat=True)[:5]) == [
        "medicare", "medicaid", "tricare", "workers-compensation", "self-pay",
    ]  # fmt: skip
    medicare = InsurancePlan.objects.get(slug="medicare")
    medicare.name = "Medicare (Parts A and B)"
    medicare.save()
    content = shutil.copytree(CONTENT_DIR, tmp_path / "content")
    text = (content / "insurance.toml").read_text()
    (content / "insurance.toml").write_text(
        text.replace('medicaid = "Medicaid"', 'medicaid = "Medicaid (state plans)"')
    )
    assert catalog_load(directory=content) == 1
    assert InsurancePlan.objects.get(slug="medicaid").name == "Medicaid (state plans)"
    assert InsurancePlan.objects.get(slug="medicare").name == "Medicare (Parts A and B)"
    (content / "insurance.toml").write_text('Not-A-Slug = "X"\n')
    with pytest.raises(ContentError, match="must be a slug"):
        catalog_load(directory=content)
