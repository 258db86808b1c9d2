"""US phone numbers: the one parser (to E.164, with an optional extension) and the one way
they are shown and dialled."""

import functools
import re
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

MAX_PHONE_INPUT_LENGTH = 40
# Digits of an extension we keep; phonenumbers reads up to 20 but no US switchboard uses
# that many, and a longer run of digits is more likely a typing slip.
MAX_EXTENSION_LENGTH = 10


@dataclass(frozen=True, slots=True)
class UsPhone:
    """A parsed US number: E.164 (+12125550100) and the extension's digits ("" for none)."""

    e164: str
    extension: str = ""


def us_phone_parse(raw: str) -> UsPhone:
    """Parse a US (or US territory) phone number, keeping an extension typed after it
    ("212-555-0100 ext. 12", "x12", "#12").

    Raises ValidationError with a patient-readable message (in the active language) for
    anything else, including an extension longer than MAX_EXTENSION_LENGTH digits: it is
    refused, never cut.
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
    extension = number.extension or ""
    if len(extension) > MAX_EXTENSION_LENGTH:
        raise ValidationError(
            gettext("Enter an extension of at most %(count)d digits.")
            % {"count": MAX_EXTENSION_LENGTH},
            code="invalid_extension",
        )
    number.extension = None
    return UsPhone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        extension=extension,
    )


def us_phone_to_e164(raw: str) -> str:
    """A US number without an extension, in E.164 (+12125550100): what a listing stores.

    Raises ValidationError as ``us_phone_parse`` does, and when an extension was typed,
    which a listing's phone field cannot hold (refused with a clear message, never cut).
    """
    phone = us_phone_parse(raw)
    if phone.extension:
        raise ValidationError(
            gettext("Enter the number without an extension (ext. %(extension)s).")
            % {"extension": phone.extension},
            code="extension_not_allowed",
        )
    return phone.e164


def validate_us_phone(value: str) -> None:
    us_phone_to_e164(value)


# A North American number whose area code and exchange start with 2-9, the only shape a
# listing's number can take: its national form is plain arithmetic on the digits.
_NANP = re.compile(r"\+1([2-9]\d\d)([2-9]\d\d)(\d{4})", re.ASCII)


def _national(e164: str) -> str:
    # phonenumbers takes 13 us a number, a tenth of a results page at 1,000,000 listings
    # where most cards show a number the process has not shown before.
    match = _NANP.fullmatch(e164)
    if match:
        area, exchange, line = match.groups()
        return f"({area}) {exchange}-{line}"
    return _national_parsed(e164)


@functools.lru_cache(maxsize=1_000)
def _national_parsed(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, "US")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def phone_display(e164: str, extension: str = "") -> str:
    """+12125550100 as (212) 555-0100, the way US readers dial it, and "ext. 12" after it
    when there is an extension; anything unparsable unchanged."""
    shown = _national(e164)
    if extension:
        return gettext("%(number)s ext. %(extension)s") % {"number": shown, "extension": extension}
    return shown


def phone_tel_uri(e164: str, extension: str = "") -> str:
    """The ``tel:`` link for a number: the extension follows a comma, the pause that phone
    dialers on iOS and Android both honour before sending the remaining digits."""
    return f"tel:{e164},{extension}" if extension else f"tel:{e164}"
