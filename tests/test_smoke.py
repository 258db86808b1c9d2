import pytest

from specialists.validators import npi_check_digit_is_valid
from tests.factories import make_specialist, valid_npi


def test_cms_example_npi_is_valid():
    assert npi_check_digit_is_valid("1234567893")
    assert not npi_check_digit_is_valid("1234567890")


@pytest.mark.django_db
def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_factory_specialist_is_board_certified():
    specialist = make_specialist()
    assert specialist.is_board_certified()
    assert npi_check_digit_is_valid(valid_npi(42))
