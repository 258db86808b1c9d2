import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from specialists.models import Board, Specialist, Treatment
from specialists.validators import npi_check_digit_is_valid, validate_npi
from tests.contract import CATALOG_BOARDS, CATALOG_TREATMENT_SLUGS
from tests.factories import make_specialist, valid_npi

CATALOG_TREATMENTS = set(CATALOG_TREATMENT_SLUGS)

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


@pytest.mark.parametrize(
    ("expires_in_days", "certified"),
    [(None, True), (0, True), (365, True), (-1, False)],
    ids=["no-expiry", "expires-today", "expires-next-year", "expired-yesterday"],
)
def test_board_certified_rule_on_model_and_queryset(expires_in_days, certified):
    expires_on = None
    if expires_in_days is not None:
        expires_on = _today() + datetime.timedelta(days=expires_in_days)
    specialist = make_specialist(expires_on=expires_on)

    assert specialist.is_board_certified() is certified
    assert Specialist.objects.board_certified().filter(pk=specialist.pk).exists() is certified


def test_one_current_certificate_is_enough():
    specialist = make_specialist(expires_on=_today() - datetime.timedelta(days=30))
    abns = Board.objects.get(code="ABNS")
    specialist.certifications.create(board=abns, expires_on=None)

    assert specialist.is_board_certified()
    assert Specialist.objects.board_certified().filter(pk=specialist.pk).exists()


def test_board_certified_on_a_given_day():
    specialist = make_specialist(expires_on=datetime.date(2030, 6, 30))

    assert specialist.is_board_certified(on=datetime.date(2030, 6, 30))
    assert not specialist.is_board_certified(on=datetime.date(2030, 7, 1))
    assert not Specialist.objects.board_certified(datetime.date(2030, 7, 1)).exists()


def test_qualifying_needs_active_certified_and_the_treatment():
    scs = Treatment.objects.get(slug="spinal-cord-stimulation")
    fusion = Treatment.objects.get(slug="spinal-fusion")
    good = make_specialist()
    make_specialist(active=False)
    make_specialist(expires_on=_today() - datetime.timedelta(days=1))
    make_specialist(treatments=("spinal-fusion",))

    assert list(Specialist.objects.qualifying(treatment=scs)) == [good]
    assert Specialist.objects.qualifying(treatment=fusion).count() == 1
    assert Specialist.objects.qualifying().count() == 2


def test_catalog_is_present_after_migrate():
    assert set(Treatment.objects.values_list("slug", flat=True)) >= CATALOG_TREATMENTS
    boards = dict(Board.objects.values_list("code", "name"))
    assert {code: boards.get(code) for code in CATALOG_BOARDS} == CATALOG_BOARDS


def test_npi_check_digit():
    assert npi_check_digit_is_valid("1234567893")
    assert not npi_check_digit_is_valid("1234567890")
    assert not npi_check_digit_is_valid("123456789")
    assert not npi_check_digit_is_valid("12345678931")
    assert not npi_check_digit_is_valid("12345678a3")
    assert not npi_check_digit_is_valid("１２３４５６７８９３")
    validate_npi(valid_npi(7))
    with pytest.raises(ValidationError):
        validate_npi("1234567890")
