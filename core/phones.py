"""US phone numbers: the one parser (to E.164) and the one way they are shown to people."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

MAX_PHONE_INPUT_LENGTH = 40


def us_phone_to_e164(raw: str) -> str:
    """Parse a US (or US territory) phone number and return it in E.164 (+12125550100).

    Raises ValidationError with a patient-readable message (in the active language) for
    anything else.
    """
    text = (raw or "").strip()
    if not text:
        raise ValidationError(gettext("Enter a phone number."), code="required")
    if len(text) > MAX_PHONE_INPUT_LENGTH:
        raise ValidationError(gettext("Enter a valid US phone number."), code="invalid_phone")
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        raise ValidationError(
            gettext("Enter a valid US phone number."), code="invalid_phone"
        ) from None
    if number.country_code != 1 or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            gettext("Enter a valid US phone number, for example (212) 555-0100."),
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_us_phone(value: str) -> None:
    us_phone_to_e164(value)


def phone_display(e164: str) -> str:
    """+12125550100 as (212) 555-0100, the way US readers dial it; anything else unchanged."""
    try:
        number = phonenumbers.parse(e164, "US")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
