"""One NPPES record into what the directory keeps of it, or the reason it was skipped.

NPPES writes names and addresses in capitals; new listings get them in ordinary case, and
a stored value that differs only in case, spacing or punctuation counts as unchanged, so
an admin's "McDonald" or "Suite 200" is never overwritten by "MCDONALD" or "SUITE 200".
"""

from __future__ import annotations

import csv
import datetime
import functools
import re
from collections.abc import Collection
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from core.phones import us_phone_to_e164
from geo.gazetteer import ZipCodeError, zip_place

from ..models import Specialist
from ..validators import npi_check_digit_is_valid
from .reading import TAXONOMY_SLOTS, NppesHeader

# Why a record was skipped; the report counts each.
NOT_UTF8 = "not UTF-8 text"
WRONG_WIDTH = "wrong number of values"
BAD_NPI = "malformed NPI"
BAD_DATE = "malformed date"
ORGANISATION = "an organisation (entity type 2), not a person"
BAD_ENTITY = "missing or unknown entity type"
NO_NAME = "missing first or last name"
NO_ADDRESS = "missing practice address"
BAD_ZIP = "malformed ZIP code"
UNKNOWN_ZIP = "unknown ZIP code"
WRONG_STATE = "state does not match the ZIP code"
NO_PHONE = "missing phone"
BAD_PHONE = "malformed phone"
TOO_LONG = "value longer than the directory allows"
REPEATED = "NPI repeated in the file"

_MAX_LENGTH = {
    name: Specialist._meta.get_field(name).max_length
    for name in ("first_name", "last_name", "credentials", "address_line1", "address_line2", "city")
}
_POSTAL_CODE = re.compile(r"\d{5}(?:\d{4})?", re.ASCII)
_KEEP_UPPER = frozenset({"N", "S", "E", "W", "NE", "NW", "SE", "SW", "PO", "II", "III", "IV"})
_ORDINAL = re.compile(r"\d+(ST|ND|RD|TH)", re.ASCII)
_LETTERS = re.compile(r"[A-Z]+")
_PUNCTUATION = re.compile(r"[^\w\s]")
# Colleagues at one practice share its number; a small cache keeps memory flat.
_phone_e164 = functools.lru_cache(maxsize=4096)(us_phone_to_e164)


@dataclass(slots=True)
class NppesRow:
    """A record the import acts on: a deactivated NPI, or a person's current listing."""

    npi: str
    deactivated: bool
    first_name: str = ""
    last_name: str = ""
    credentials: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    latitude: float = 0.0
    longitude: float = 0.0
    phone: str = ""
    # The wanted taxonomy the record lists (its primary one when it marks one); "" when
    # it lists none, which only a specialist already in the directory may lack.
    taxonomy_code: str = ""
    last_updated_on: datetime.date | None = None


def row_parse(
    record: bytes, header: NppesHeader, *, wanted: Collection[str], listed: bool
) -> NppesRow | str | None:
    """The row, the reason it is skipped, or None when it is not a record to import
    (neither ``listed`` nor holding a ``wanted`` taxonomy code)."""
    try:
        values = next(csv.reader([record.decode("utf-8")]))
    except UnicodeDecodeError:
        return NOT_UTF8
    except csv.Error:
        return WRONG_WIDTH
    if len(values) != header.width:
        return WRONG_WIDTH
    cell = {name: values[position].strip() for name, position in header.positions.items()}
    taxonomy_code = _taxonomy(cell, wanted)
    if not listed and not taxonomy_code:
        return None
    npi = cell["npi"]
    if not npi_check_digit_is_valid(npi):
        return BAD_NPI
    try:
        deactivated_on = _date(cell["deactivated_on"])
        reactivated_on = _date(cell["reactivated_on"])
        last_updated_on = _date(cell["last_updated_on"])
    except ValueError:
        return BAD_DATE
    if deactivated_on and not (reactivated_on and reactivated_on >= deactivated_on):
        return NppesRow(npi=npi, deactivated=True)
    if cell["entity_type"] == "2":
        return ORGANISATION
    if cell["entity_type"] != "1":
        return BAD_ENTITY
    return _person(cell, npi=npi, taxonomy_code=taxonomy_code, last_updated_on=last_updated_on)


def _person(
    cell: dict[str, str], *, npi: str, taxonomy_code: str, last_updated_on
) -> NppesRow | str:
    if not cell["first_name"] or not cell["last_name"]:
        return NO_NAME
    if not (cell["address_line1"] and cell["city"] and cell["state"] and cell["postal_code"]):
        return NO_ADDRESS
    if any(len(cell[name]) > limit for name, limit in _MAX_LENGTH.items()):
        return TOO_LONG
    if not _POSTAL_CODE.fullmatch(cell["postal_code"]):
        return BAD_ZIP
    try:
        place = zip_place(cell["postal_code"][:5])
    except ZipCodeError:
        return UNKNOWN_ZIP
    if cell["state"].upper() != place.state:
        return WRONG_STATE
    if not cell["phone"]:
        return NO_PHONE
    try:
        phone = _phone_e164(cell["phone"])
    except ValidationError:
        return BAD_PHONE
    return NppesRow(
        npi=npi,
        deactivated=False,
        first_name=display_case(cell["first_name"]),
        last_name=display_case(cell["last_name"]),
        credentials=cell["credentials"].replace(".", ""),
        address_line1=display_case(cell["address_line1"]),
        address_line2=display_case(cell["address_line2"]),
        city=display_case(cell["city"]),
        state=place.state,
        zip=place.zip,
        latitude=place.latitude,
        longitude=place.longitude,
        phone=phone,
        taxonomy_code=taxonomy_code,
        last_updated_on=last_updated_on,
    )


def _taxonomy(cell: dict[str, str], wanted: Collection[str]) -> str:
    found = [
        (cell[f"primary_{n}"] == "Y", cell[f"taxonomy_{n}"])
        for n in TAXONOMY_SLOTS
        if cell[f"taxonomy_{n}"] in wanted
    ]
    primary = [code for is_primary, code in found if is_primary]
    return (primary or [code for _, code in found] or [""])[0]


def _date(raw: str) -> datetime.date | None:
    """NPPES dates are MM/DD/YYYY; ValueError for anything else."""
    return datetime.datetime.strptime(raw, "%m/%d/%Y").date() if raw else None


def display_case(value: str) -> str:
    """A value written all in capitals, in ordinary case ("O'BRIEN" → "O'Brien",
    "100 N MAIN ST STE 2B" → "100 N Main St Ste 2B"); anything else unchanged."""
    if value != value.upper():
        return value
    return " ".join(_word_case(word) for word in value.split())


def _word_case(word: str) -> str:
    if word in _KEEP_UPPER:
        return word
    if _ORDINAL.fullmatch(word):
        return word.lower()
    if any(char.isdigit() for char in word):
        return word
    return _LETTERS.sub(lambda match: match.group(0).capitalize(), word)


def same_text(stored: str, incoming: str) -> bool:
    """Equal but for case, spacing and punctuation."""
    return _comparable(stored) == _comparable(incoming)


def _comparable(value: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", value).split()).casefold()
