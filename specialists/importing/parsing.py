"""Parsing one CSV row into a typed provider row, or a rejection naming every problem."""

from __future__ import annotations

import datetime
import functools
import math
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.phones import us_phone_to_e164
from geo.gazetteer import ZipCodeError, ZipPlace, zip_place

from ..facts import GENDER_WORDS, Gender, LanguageCodeError, language_codes_parse
from ..models import Board, Institute, InsurancePlan, Specialist, Treatment
from ..services import practice_location_resolve
from ..validators import COORDINATE_LIMITS, npi_check_digit_is_valid
from .reading import REQUIRED_COLUMNS, Header
from .report import RowRejection

# Columns whose value may be empty: no treatments, no certificate on file.
_MAY_BE_EMPTY = frozenset({"treatments", "boards"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f"})
_MAX_LENGTH = {
    name: Specialist._meta.get_field(name).max_length
    for name in (
        "first_name",
        "last_name",
        "credentials",
        "specialty",
        "address_line1",
        "address_line2",
        "city",
    )
}
_MAX_LENGTH["institute"] = Institute._meta.get_field("name").max_length
_MAX_LENGTH["email"] = Specialist._meta.get_field("email").max_length
_LANGUAGES_MAX_LENGTH = Specialist._meta.get_field("languages").max_length

# Practices share phone numbers across many rows, and parsing one costs more than the rest
# of a row's checks together.
_phone_e164 = functools.lru_cache(maxsize=20_000)(us_phone_to_e164)


@dataclass(slots=True)
class ProviderRow:
    """One validated CSV row, ready to compare with what is stored."""

    line: int
    npi: str
    # The listing's fields by model field name; planning adds institute_id and source.
    values: dict
    institute_key: str | None
    institute_name: str
    certifications: dict[int, datetime.date | None]
    treatment_ids: frozenset[int]
    # Model field values of the optional columns the file has (see OPTIONAL_FIELDS); the
    # others keep what is stored.
    optional: dict
    # None when the file has no insurance column.
    insurance_ids: frozenset[int] | None

    def rejection(self, reason: str) -> RowRejection:
        name = f"{self.values['first_name']} {self.values['last_name']}"
        return RowRejection(self.line, reason, npi=self.npi, name=name)


@dataclass
class Catalog:
    """Lookups loaded once per import, so validating a row costs no query."""

    treatments: dict[str, int]
    boards: dict[str, int]
    institutes: dict[str, int]
    insurance: dict[str, int]
    # Institutes named by rows already planned but not yet written, by key.
    pending_institutes: dict[str, ProviderRow] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Catalog:
        return cls(
            treatments=dict(Treatment.objects.values_list("slug", "id")),
            boards=dict(Board.objects.values_list("code", "id")),
            institutes={
                institute_key(name): pk for name, pk in Institute.objects.values_list("name", "id")
            },
            insurance=dict(InsurancePlan.objects.values_list("slug", "id")),
        )


def institute_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def row_parse(
    values: list[str], line: int, header: Header, catalog: Catalog, *, use_geocoder: bool
) -> ProviderRow | RowRejection:
    """The typed row, or its rejection listing every problem the row has."""
    if len(values) != len(header.names):
        return _rejection(
            line, f"has {len(values)} values but the header has {len(header.names)}", values, header
        )
    cells = header.cells(values)
    errors = [
        f"{name}: required"
        for name in REQUIRED_COLUMNS
        if not cells[name] and name not in _MAY_BE_EMPTY
    ]
    errors += [
        f"{name}: longer than {limit} characters"
        for name, limit in _MAX_LENGTH.items()
        if len(cells.get(name, "")) > limit
    ]
    _npi_check(cells["npi"], errors)
    place = _place(cells, errors)
    row = _typed_row(line, cells, catalog, errors)
    if errors:
        return _rejection(line, "; ".join(errors), values, header)
    fields = row.values
    fields["state"], fields["zip"] = place.state, place.zip
    fields["latitude"], fields["longitude"], fields["location_source"] = practice_location_resolve(
        line1=cells["address_line1"],
        city=cells["city"],
        place=place,
        latitude=fields["latitude"],
        longitude=fields["longitude"],
        use_geocoder=use_geocoder,
    )
    return row


def _rejection(line: int, reason: str, values: list[str], header: Header) -> RowRejection:
    """A rejection naming the row's NPI and name as far as the row has them."""

    def cell(name: str) -> str:
        position = header.index.get(name)
        return values[position].strip() if position is not None and position < len(values) else ""

    name = " ".join(part for part in (cell("first_name"), cell("last_name")) if part)
    return RowRejection(line, reason, npi=cell("npi"), name=name)


def _typed_row(
    line: int, cells: dict[str, str], catalog: Catalog, errors: list[str]
) -> ProviderRow:
    """The cells past the NPI and the place, typed; each problem is appended to ``errors``
    in the order of the rejection message. The row is only of use when there are none."""
    phone = _phone(cells["phone"], errors)
    latitude, longitude = _coordinates(cells["latitude"], cells["longitude"], errors)
    treatment_ids = _treatments(cells["treatments"], catalog, errors)
    certifications = _certifications(cells["boards"], catalog, errors)
    accepting = _boolean(cells, "accepting_new_patients", errors)
    active = _boolean(cells, "active", errors)
    optional = _optional_values(cells, errors)
    insurance_ids = _insurance(cells, catalog, errors)
    institute_name = " ".join(cells["institute"].split())
    return ProviderRow(
        line=line,
        npi=cells["npi"],
        values={
            "first_name": cells["first_name"],
            "last_name": cells["last_name"],
            "credentials": cells["credentials"],
            "specialty": cells["specialty"],
            "address_line1": cells["address_line1"],
            "address_line2": cells["address_line2"],
            "city": cells["city"],
            "phone": phone,
            "latitude": latitude,
            "longitude": longitude,
            "accepting_new_patients": accepting,
            "active": active,
        },
        institute_key=institute_key(institute_name) if institute_name else None,
        institute_name=institute_name,
        certifications=certifications,
        treatment_ids=treatment_ids,
        optional=optional,
        insurance_ids=insurance_ids,
    )


def _npi_check(npi: str, errors: list[str]) -> None:
    if npi and not npi_check_digit_is_valid(npi):
        if len(npi) == 10 and npi.isascii() and npi.isdigit():
            errors.append(f"npi: the check digit of {npi} is wrong")
        else:
            errors.append("npi: must be exactly 10 digits")


def _place(cells: dict[str, str], errors: list[str]) -> ZipPlace | None:
    place = None
    if cells["zip"]:
        try:
            place = zip_place(cells["zip"])
        except ZipCodeError as error:
            errors.append(f"zip: {error}")
    state = cells["state"].upper()
    if place is not None and state and state != place.state:
        errors.append(f"state: {state} does not match ZIP {place.zip}, which is in {place.state}")
    return place


def _phone(raw: str, errors: list[str]) -> str:
    if not raw:
        return ""
    try:
        return _phone_e164(raw)
    except ValidationError as error:
        if error.code == "extension_not_allowed":
            errors.append("phone: a listing's phone cannot carry an extension; give a direct line")
        else:
            errors.append("phone: not a valid US phone number")
        return ""


def _optional_values(cells: dict[str, str], errors: list[str]) -> dict:
    """The optional columns the file has, as model field values; an empty cell clears."""
    values = {}
    if "email" in cells:
        values["email"] = _email(cells["email"], errors)
    if "languages" in cells:
        try:
            values["languages"] = language_codes_parse(cells["languages"])
        except LanguageCodeError as error:
            errors.append(f"languages: {error}")
        else:
            if len(values["languages"]) > _LANGUAGES_MAX_LENGTH:
                errors.append(f"languages: more than {_LANGUAGES_MAX_LENGTH} characters")
    if "gender" in cells:
        values["gender"] = _gender(cells["gender"], errors)
    if "telehealth" in cells:
        values["telehealth"] = _boolean(cells, "telehealth", errors, empty=False)
    return values


def _email(email: str, errors: list[str]) -> str:
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append("email: not a valid email address")
    return email


def _gender(raw: str, errors: list[str]) -> str:
    """NPPES's letter (F, M) or the word; empty when not listed."""
    value = raw.strip().lower()
    if not value:
        return ""
    gender = GENDER_WORDS.get(value) or next(
        (choice for choice in Gender if choice.value.lower() == value), None
    )
    if gender is None:
        errors.append("gender: use F or M (as NPPES lists it), female or male, or leave it empty")
        return ""
    return gender.value


def _boolean(cells: dict, name: str, errors: list[str], *, empty: bool = True) -> bool:
    value = cells[name].lower()
    if not value:
        return empty
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    errors.append(f"{name}: use true/false, yes/no or 1/0")
    return empty


def _coordinates(raw_latitude: str, raw_longitude: str, errors: list[str]):
    if not raw_latitude and not raw_longitude:
        return None, None
    if not raw_latitude or not raw_longitude:
        errors.append("latitude/longitude: give both or neither")
        return None, None
    parsed = []
    for name, raw in (("latitude", raw_latitude), ("longitude", raw_longitude)):
        limit = COORDINATE_LIMITS[name]
        try:
            value = float(raw)
        except ValueError:
            errors.append(f"{name}: not a number")
            continue
        if not math.isfinite(value) or not -limit <= value <= limit:
            errors.append(f"{name}: must be between -{limit} and {limit}")
            continue
        parsed.append(value)
    if len(parsed) != 2:
        return None, None
    return parsed[0], parsed[1]


def _treatments(raw: str, catalog: Catalog, errors: list[str]) -> frozenset[int]:
    return _slugs(raw, catalog.treatments, "treatments", "treatment", errors)


def _insurance(cells: dict[str, str], catalog: Catalog, errors: list[str]):
    """None when the file has no insurance column, so the stored plans are kept."""
    if "insurance" not in cells:
        return None
    return _slugs(cells["insurance"], catalog.insurance, "insurance", "insurance plan", errors)


def _slugs(
    raw: str, known: dict[str, int], column: str, what: str, errors: list[str]
) -> frozenset[int]:
    """The ids of ``;``-separated catalog slugs; each unknown one is an error."""
    ids = set()
    for item in raw.split(";"):
        slug = item.strip().lower()
        if not slug:
            continue
        found = known.get(slug)
        if found is None:
            errors.append(f"{column}: unknown {what} {slug!r}")
        else:
            ids.add(found)
    return frozenset(ids)


def _certifications(
    raw: str, catalog: Catalog, errors: list[str]
) -> dict[int, datetime.date | None]:
    certifications: dict[int, datetime.date | None] = {}
    for item in raw.split(";"):
        item = item.strip()
        if not item:
            continue
        code, _, raw_date = item.partition(":")
        code, raw_date = code.strip().upper(), raw_date.strip()
        board_id = catalog.boards.get(code)
        if board_id is None:
            errors.append(f"boards: unknown board code {code!r}")
            continue
        expires_on = None
        if raw_date:
            try:
                if not _DATE.fullmatch(raw_date):
                    raise ValueError
                expires_on = datetime.date.fromisoformat(raw_date)
            except ValueError:
                errors.append(f"boards: {code} has a malformed date {raw_date!r} (use YYYY-MM-DD)")
                continue
        elif item.endswith(":"):
            errors.append(f"boards: {code} has an empty date (use {code} or {code}:YYYY-MM-DD)")
            continue
        if board_id in certifications:
            errors.append(f"boards: {code} is listed twice")
            continue
        certifications[board_id] = expires_on
    return certifications
