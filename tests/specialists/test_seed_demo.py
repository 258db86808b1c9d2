import io

import pytest
from django.core.management import call_command

from core.phones import us_phone_to_e164
from specialists.models import Board, BoardCertification, Institute, Specialist, Treatment
from specialists.validators import npi_check_digit_is_valid

pytestmark = pytest.mark.django_db


def _seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _snapshot():
    return sorted(
        Specialist.objects.values_list(
            "npi",
            "first_name",
            "last_name",
            "zip",
            "phone",
            "latitude",
            "active",
            "institute__name",
        )
    )


def test_demo_network_is_complete_marked_and_valid():
    output = _seed("--specialists", "60", "--institutes", "6")

    assert "60 created" in output and "6 new institutes" in output
    assert Specialist.objects.count() == 60
    assert set(Specialist.objects.values_list("source", flat=True)) == {"demo"}
    assert all(name.endswith("(demo)") for name in Institute.objects.values_list("name", flat=True))
    assert Institute.objects.filter(specialists__isnull=True).count() == 0
    used_treatments = set(Treatment.objects.filter(specialists__isnull=False).values_list("slug"))
    assert used_treatments == set(Treatment.objects.values_list("slug"))
    used_boards = set(BoardCertification.objects.values_list("board__code", flat=True))
    assert used_boards == set(Board.objects.values_list("code", flat=True))
    for npi, phone in Specialist.objects.values_list("npi", "phone"):
        assert npi_check_digit_is_valid(npi)
        assert us_phone_to_e164(phone) == phone
    assert Specialist.objects.filter(institute__isnull=True).exists()


def test_larger_network_has_the_expected_mix_and_reseeds_unchanged():
    _seed("--specialists", "1000", "--institutes", "100")

    total = Specialist.objects.count()
    expired = total - Specialist.objects.board_certified().count()
    assert 0.03 * total <= expired <= 0.15 * total
    assert Specialist.objects.filter(accepting_new_patients=False).exists()
    assert Specialist.objects.filter(active=False).exists()
    states = set(Specialist.objects.values_list("state", flat=True))
    assert {"CA", "TX", "FL", "NY"} <= states
    assert (
        Specialist.objects.filter(state="CA").count()
        > Specialist.objects.filter(state="WY").count()
    )


def test_seed_is_deterministic_and_a_second_run_changes_nothing():
    _seed("--specialists", "40", "--institutes", "4", "--seed", "5")
    first = _snapshot()

    output = _seed("--specialists", "40", "--institutes", "4", "--seed", "5")

    assert "0 created, 0 updated, 40 unchanged, 0 rejected" in output
    assert _snapshot() == first
    Specialist.objects.all().delete()
    Institute.objects.all().delete()
    _seed("--specialists", "40", "--institutes", "4", "--seed", "5")
    assert _snapshot() == first


def test_if_empty_does_nothing_when_specialists_exist():
    _seed("--specialists", "10", "--institutes", "2")

    output = _seed("--if-empty", "--specialists", "50")

    assert "already exist" in output
    assert Specialist.objects.count() == 10


def test_the_demo_fills_what_patients_filter_on_plausibly():
    from collections import Counter

    from geo.gazetteer import STATES

    _seed("--specialists", "1500", "--institutes", "150")

    specialists = list(Specialist.objects.prefetch_related("insurance"))
    spanish = Counter(s.state for s in specialists if "es" in s.languages.split(";"))
    everyone = Counter(s.state for s in specialists)
    # Spanish follows where it is spoken: far more often in Texas and California than in
    # the Midwest and New England together.
    share = {state: spanish[state] / everyone[state] for state in everyone}
    assert share["TX"] > 0.3 and share["CA"] > 0.3
    north = [state for state in ("OH", "MI", "IN", "WI", "MN", "VT", "NH", "ME") if state in share]
    assert sum(spanish[s] for s in north) / sum(everyone[s] for s in north) < share["TX"] - 0.1
    assert all("en" in s.languages.split(";") for s in specialists)
    assert len({code for s in specialists for code in s.languages.split(";")}) > 10
    genders = Counter(s.gender for s in specialists)
    assert genders["M"] > genders["F"] > genders[""] > 0
    assert 0.25 < sum(s.telehealth for s in specialists) / len(specialists) < 0.65
    medicare = sum(any(p.slug == "medicare" for p in s.insurance.all()) for s in specialists)
    assert medicare / len(specialists) > 0.8
    # Colleagues at one institute take the same plans.
    for institute in Institute.objects.prefetch_related("specialists__insurance")[:20]:
        plans = {frozenset(p.slug for p in s.insurance.all()) for s in institute.specialists.all()}
        assert len(plans) == 1
    described = Institute.objects.exclude(description="").exclude(opening_hours="")
    assert described.count() == Institute.objects.count()
    assert set(STATES) >= {s.state for s in specialists} - {"DC", "PR", "GU", "VI", "AS", "MP"}
