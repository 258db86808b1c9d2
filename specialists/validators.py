"""Field rules shared by the directory, the import and the lead form."""

from django.core.exceptions import ValidationError

# Degrees either side of zero; the admin form and the CSV import refuse anything beyond.
COORDINATE_LIMITS = {"latitude": 90, "longitude": 180}


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
