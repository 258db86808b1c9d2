"""core.phones: the one parser and display of US phone numbers, extensions included."""

import pytest
from django.core.exceptions import ValidationError

from core.phones import phone_display, phone_tel_uri, us_phone_parse, us_phone_to_e164


@pytest.mark.parametrize(
    ("typed", "extension"),
    [
        ("212-555-0100 ext. 12", "12"),
        ("(212) 555-0100 x12", "12"),
        ("212.555.0100 extension 4567", "4567"),
        ("212-555-0100#9", "9"),
        ("212-555-0100", ""),
    ],
)
def test_an_extension_is_kept_beside_the_e164_number(typed, extension):
    phone = us_phone_parse(typed)
    assert (phone.e164, phone.extension) == ("+12125550100", extension)


def test_an_overlong_extension_is_refused_not_cut():
    with pytest.raises(ValidationError) as error:
        us_phone_parse("212-555-0100 ext. 12345678901")
    assert error.value.messages == ["Enter an extension of at most 10 digits."]


def test_a_listing_number_refuses_an_extension_clearly():
    assert us_phone_to_e164("(212) 555-0100") == "+12125550100"
    with pytest.raises(ValidationError) as error:
        us_phone_to_e164("212-555-0100 ext. 12")
    assert error.value.code == "extension_not_allowed"
    assert error.value.messages == ["Enter the number without an extension (ext. 12)."]


def test_display_and_dialling():
    assert phone_display("+12125550100") == "(212) 555-0100"
    assert phone_display("+12125550100", "12") == "(212) 555-0100 ext. 12"
    assert phone_tel_uri("+12125550100") == "tel:+12125550100"
    assert phone_tel_uri("+12125550100", "12") == "tel:+12125550100,12"


def test_every_north_american_number_shows_as_phonenumbers_formats_it():
    """The display's arithmetic on the digits against the library, for every area code
    and a spread of exchanges, and for shapes it leaves to the library."""
    import random

    import phonenumbers

    def library(e164):
        try:
            parsed = phonenumbers.parse(e164, "US")
        except phonenumbers.NumberParseException:
            return e164
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)

    rng = random.Random(4)
    numbers = [
        f"+1{area}{exchange}{rng.randrange(10_000):04d}"
        for area in range(100, 1000)
        for exchange in (*range(100, 1000, 61), 211, 555, 911)
    ]
    numbers += ["+1212555010", "+121255501000", "+442071838750", "+1 2125550100", "not a number"]
    for e164 in numbers:
        assert phone_display(e164) == library(e164), e164
