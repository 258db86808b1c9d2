"""Field rules shared by the directory, the import and the lead form."""

import phonenumbers
from django.core.exceptions import ValidationError


def npi_check_digit_is_valid(npi: str) -> bool:
    """True when ``npi`` is 10 digits whose last digit is the CMS Luhn check digit.

    CMS computes the Luhn digit over the 9-digit identifier prefixed with 80840 (the
    card-issuer prefix for US health applications), which adds a constant 24 to the sum.
    """
    if len(npi) != 10 or not npi.isascii() or not npi.isdigit():
        return False
    total = 24
    for position, char in enumerate(reversed(npi[:9])):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def validate_npi(value: str) -> None:
    if not npi_check_digit_is_valid(value):
        raise ValidationError(
            "Enter a valid 10-digit NPI (the check digit of %(npi)s is wrong).",
            code="invalid_npi",
            params={"npi": value},
        )


def us_phone_to_e164(raw: str) -> str:
    """Parse a US (or US territory) phone number and return it in E.164 (+12125550100).

    Raises ValidationError with a patient-readable message for anything else.
    """
    text = (raw or "").strip()
    if not text:
        raise ValidationError("Enter a phone number.", code="required")
    if len(text) > 40:
        raise ValidationError("Enter a valid US phone number.", code="invalid_phone")
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        raise ValidationError("Enter a valid US phone number.", code="invalid_phone") from None
    if number.country_code != 1 or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            "Enter a valid US phone number, for example (212) 555-0100.", code="invalid_phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_us_phone(value: str) -> None:
    us_phone_to_e164(value)
