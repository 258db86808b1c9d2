"""The provider CSV import: the one code path behind `manage.py import_providers`, the admin
upload and `manage.py seed_demo`.

The file is streamed row by row; rows are validated completely, then written in batches,
each batch in its own transaction, so memory stays flat in the file size and a crash never
leaves half a row. Rows are upserted by NPI; a row equal to what is stored is not written at
all, so re-importing a file changes nothing.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import functools
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from core.phones import us_phone_to_e164
from geo.gazetteer import ZipCodeError, zip_place

from .models import Board, BoardCertification, Institute, Specialist, Treatment
from .services import directory_changed, directory_changes_batched, practice_location_resolve
from .validators import COORDINATE_LIMITS, npi_check_digit_is_valid

logger = logging.getLogger(__name__)

COLUMNS = (
    "npi",
    "first_name",
    "last_name",
    "credentials",
    "specialty",
    "institute",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip",
    "phone",
    "latitude",
    "longitude",
    "treatments",
    "boards",
    "accepting_new_patients",
    "active",
)
REQUIRED_COLUMNS = (
    "npi",
    "first_name",
    "last_name",
    "specialty",
    "address_line1",
    "city",
    "state",
    "zip",
    "phone",
    "treatments",
    "boards",
)
# Columns whose value may be empty: no treatments, no certificate on file.
_MAY_BE_EMPTY = frozenset({"treatments", "boards"})
# Beyond the contract: where patient requests go. Left untouched when the column is absent.
OPTIONAL_EXTRA_COLUMNS = ("email",)
# Rows per transaction. Each commit rewrites the index pages the batch touched, so larger
# batches write less; 5,000 validated rows hold a few megabytes.
BATCH_SIZE = 5000
# SQLite's default 2 MB page cache is smaller than the specialist table's indexes past about
# 20,000 listings; every random index insert would then re-read pages from the OS. The
# import raises it to this bound for its own duration.
SQLITE_IMPORT_CACHE_KIB = 64 * 1024

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
_COMPARED_FIELDS = (
    "first_name",
    "last_name",
    "credentials",
    "specialty",
    "institute_id",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip",
    "phone",
    "latitude",
    "longitude",
    "location_source",
    "accepting_new_patients",
    "active",
    "source",
)

# Written on every insert or update, in this order; the compared fields as model field names.
_UPDATED_FIELDS = (
    "email",
    "updated_at",
    "updated_by",
    *(name.removesuffix("_id") for name in _COMPARED_FIELDS),
)

# Practices share phone numbers across many rows, and parsing one costs more than the rest
# of a row's checks together.
_phone_e164 = functools.lru_cache(maxsize=20_000)(us_phone_to_e164)


class ImportFileError(ValueError):
    """The file cannot be read (header, encoding, CSV syntax); the message says why.

    ``report`` holds what was done before an unreadable line (None for a bad header).
    """

    def __init__(self, message: str, *, report: ImportReport | None = None):
        super().__init__(message)
        self.report = report


@dataclass(frozen=True, slots=True)
class RowRejection:
    line: int
    reason: str

    def __str__(self):
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    institutes_created: int = 0
    rejections: list[RowRejection] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    def summary(self) -> str:
        text = (
            f"{self.rows} rows: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.rejected} rejected; "
            f"{self.institutes_created} new institutes"
        )
        return text + (" (dry run: nothing written)" if self.dry_run else "")


@dataclass(slots=True)
class _Row:
    """One validated CSV row, ready to compare with what is stored."""

    line: int
    npi: str
    values: dict
    institute_key: str | None
    institute_name: str
    certifications: dict[int, datetime.date | None]
    treatment_ids: frozenset[int]
    email: str | None


@dataclass
class _Catalog:
    """Lookups loaded once per import, so validating a row costs no query."""

    treatments: dict[str, int]
    boards: dict[str, int]
    institutes: dict[str, int]
    pending_institutes: dict[str, _Row] = field(default_factory=dict)

    @classmethod
    def load(cls) -> _Catalog:
        return cls(
            treatments=dict(Treatment.objects.values_list("slug", "id")),
            boards=dict(Board.objects.values_list("code", "id")),
            institutes={
                _institute_key(name): pk for name, pk in Institute.objects.values_list("name", "id")
            },
        )


def utf8_lines(binary: BinaryIO) -> Iterator[str]:
    """The lines of a UTF-8 file (a BOM is fine) for ``providers_import``.

    Decoding line by line lets a line that is not UTF-8 be named exactly (ImportFileError).
    """
    for number, raw in enumerate(binary, start=1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise ImportFileError(
                f"Line {number} is not UTF-8 text; save the file as CSV UTF-8 and import it again."
            ) from None


def providers_import(
    *,
    csv_file: Iterable[str],
    dry_run: bool = False,
    user=None,
    source: str = "import",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate and upsert (by NPI) every provider row of ``csv_file`` (a text stream, or
    ``utf8_lines`` of a binary one).

    Good rows are written even when others are rejected; ``report.rejections`` holds each
    rejected row's line number and reason. With ``dry_run`` everything is validated and
    compared, and nothing is written. ``progress`` is called with the number of rows done
    after each batch. Raises ImportFileError when the header or the encoding is unusable.
    """
    reader = csv.reader(csv_file)
    header = _read_header(reader)
    report = ImportReport(
        dry_run=dry_run,
        ignored_columns=[
            name for name in header if name not in COLUMNS and name not in OPTIONAL_EXTRA_COLUMNS
        ],
    )
    try:
        with _sqlite_page_cache(SQLITE_IMPORT_CACHE_KIB):
            _import_rows(
                reader,
                header,
                report,
                dry_run=dry_run,
                user=user,
                source=source,
                progress=progress,
            )
    finally:
        report.rejections.sort(key=lambda rejection: rejection.line)
    logger.info("provider import (source=%s): %s", source, report.summary())
    return report


@contextlib.contextmanager
def _sqlite_page_cache(kib: int) -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def _import_rows(reader, header, report, *, dry_run, user, source, progress) -> None:
    index = {name: position for position, name in enumerate(header)}
    catalog = _Catalog.load()
    seen = _SeenNpis()
    batch: list[_Row] = []
    previous_line = reader.line_num
    failure = None
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except ImportFileError as error:
            failure = f"{error} The rows before it were imported."
            break
        except UnicodeDecodeError:
            failure = (
                f"The file is not UTF-8 text after line {previous_line}; save it as "
                "CSV UTF-8 and import it again (the rows before it were imported)."
            )
            break
        except csv.Error as error:
            failure = (
                f"Line {previous_line + 1}: unreadable CSV ({error}); "
                "the rows before it were imported."
            )
            break
        line = previous_line + 1
        previous_line = reader.line_num
        if not values or (len(values) == 1 and not values[0].strip()):
            continue
        report.rows += 1
        row = _parse_row(values, line, index, header, catalog, report, dry_run=dry_run)
        if row is not None:
            batch.append(row)
        if len(batch) >= BATCH_SIZE:
            _import_batch(batch, catalog, seen, report, dry_run=dry_run, user=user, source=source)
            batch = []
            if progress:
                progress(report.rows)
    if batch:
        _import_batch(batch, catalog, seen, report, dry_run=dry_run, user=user, source=source)
    if progress:
        progress(report.rows)
    if failure:
        raise ImportFileError(failure, report=report)


def _read_header(reader) -> list[str]:
    try:
        raw = next(reader)
    except StopIteration:
        raise ImportFileError(
            "The file is empty; the first line must be the header: " + ", ".join(COLUMNS)
        ) from None
    except UnicodeDecodeError as error:
        raise ImportFileError("The file is not UTF-8 text; save it as CSV UTF-8.") from error
    except csv.Error as error:
        raise ImportFileError(f"Line 1: unreadable CSV ({error}).") from error
    header = [name.strip().lower().lstrip("\ufeff") for name in raw]
    duplicates = sorted({name for name in header if name and header.count(name) > 1})
    if duplicates:
        raise ImportFileError("Duplicate columns in the header: " + ", ".join(duplicates) + ".")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ImportFileError(
            "Missing required columns: "
            + ", ".join(missing)
            + ". Expected header: "
            + ", ".join(COLUMNS)
            + "."
        )
    return header


def _institute_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _parse_row(values, line, index, header, catalog, report, *, dry_run) -> _Row | None:
    """A validated row, or None after recording every problem the row has."""
    if len(values) != len(header):
        report.rejections.append(
            RowRejection(line, f"has {len(values)} values but the header has {len(header)}")
        )
        return None
    cells = dict.fromkeys(COLUMNS, "")
    for name, position in index.items():
        cells[name] = values[position].strip()
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

    npi = cells["npi"]
    if npi and not npi_check_digit_is_valid(npi):
        if len(npi) == 10 and npi.isascii() and npi.isdigit():
            errors.append(f"npi: the check digit of {npi} is wrong")
        else:
            errors.append("npi: must be exactly 10 digits")
    institute_name = " ".join(cells["institute"].split())
    state = cells["state"].upper()

    place = None
    if cells["zip"]:
        try:
            place = zip_place(cells["zip"])
        except ZipCodeError as error:
            errors.append(f"zip: {error}")
    if place is not None and state and state != place.state:
        errors.append(f"state: {state} does not match ZIP {place.zip}, which is in {place.state}")

    phone = ""
    if cells["phone"]:
        try:
            phone = _phone_e164(cells["phone"])
        except ValidationError:
            errors.append("phone: not a valid US phone number")

    latitude, longitude = _coordinates(cells["latitude"], cells["longitude"], errors)
    treatment_ids = _treatments(cells["treatments"], catalog, errors)
    certifications = _certifications(cells["boards"], catalog, errors)
    accepting = _boolean(cells, "accepting_new_patients", errors)
    active = _boolean(cells, "active", errors)

    email = cells.get("email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append("email: not a valid email address")

    if errors:
        report.rejections.append(RowRejection(line, "; ".join(errors)))
        return None

    latitude, longitude, location_source = practice_location_resolve(
        line1=cells["address_line1"],
        city=cells["city"],
        place=place,
        latitude=latitude,
        longitude=longitude,
        use_geocoder=not dry_run,
    )
    return _Row(
        line=line,
        npi=npi,
        values={
            "first_name": cells["first_name"],
            "last_name": cells["last_name"],
            "credentials": cells["credentials"],
            "specialty": cells["specialty"],
            "address_line1": cells["address_line1"],
            "address_line2": cells["address_line2"],
            "city": cells["city"],
            "state": place.state,
            "zip": place.zip,
            "phone": phone,
            "latitude": latitude,
            "longitude": longitude,
            "location_source": location_source,
            "accepting_new_patients": accepting,
            "active": active,
        },
        institute_key=_institute_key(institute_name) if institute_name else None,
        institute_name=institute_name,
        certifications=certifications,
        treatment_ids=treatment_ids,
        email=email,
    )


def _boolean(cells: dict, name: str, errors: list[str]) -> bool:
    value = cells[name].lower()
    if not value or value in _TRUE:
        return True
    if value in _FALSE:
        return False
    errors.append(f"{name}: use true/false, yes/no or 1/0")
    return True


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


def _treatments(raw: str, catalog: _Catalog, errors: list[str]) -> frozenset[int]:
    ids = set()
    for item in raw.split(";"):
        slug = item.strip().lower()
        if not slug:
            continue
        treatment_id = catalog.treatments.get(slug)
        if treatment_id is None:
            errors.append(f"treatments: unknown treatment {slug!r}")
        else:
            ids.add(treatment_id)
    return frozenset(ids)


def _certifications(
    raw: str, catalog: _Catalog, errors: list[str]
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


class _SeenNpis:
    """NPIs already read from this file with their line numbers, to reject duplicates.

    Two sorted numpy arrays (16 bytes per row) instead of a dict of strings, so a million
    rows cost 16 MB, not hundreds.
    """

    def __init__(self):
        self.npis = np.empty(0, dtype=np.int64)
        self.lines = np.empty(0, dtype=np.int64)

    def earlier_lines(self, npis: list[str]) -> list[int | None]:
        if not len(self.npis):
            return [None] * len(npis)
        keys = np.array([int(npi) for npi in npis], dtype=np.int64)
        positions = np.searchsorted(self.npis, keys).clip(max=len(self.npis) - 1)
        found = self.npis[positions] == keys
        return [
            int(self.lines[p]) if hit else None for p, hit in zip(positions, found, strict=True)
        ]

    def add(self, rows: list[_Row]) -> None:
        keys = np.array([int(row.npi) for row in rows], dtype=np.int64)
        lines = np.array([row.line for row in rows], dtype=np.int64)
        order = np.argsort(keys)
        keys, lines = keys[order], lines[order]
        positions = np.searchsorted(self.npis, keys)
        self.npis = np.insert(self.npis, positions, keys)
        self.lines = np.insert(self.lines, positions, lines)


def _import_batch(batch, catalog, seen, report, *, dry_run, user, source) -> None:
    """Compare a batch of valid rows with the database and write what differs."""
    rows: dict[str, _Row] = {}
    for row, earlier in zip(batch, seen.earlier_lines([row.npi for row in batch]), strict=True):
        first = rows.get(row.npi)
        earlier = earlier if earlier is not None else (first.line if first else None)
        if earlier is not None:
            report.rejections.append(
                RowRejection(row.line, f"npi: {row.npi} already appears on line {earlier}")
            )
        else:
            rows[row.npi] = row
    if not rows:
        return
    seen.add(list(rows.values()))

    stored_columns = ("id", "npi", "slug", "email", *_COMPARED_FIELDS)
    existing = {
        values[1]: dict(zip(stored_columns, values, strict=True))
        for values in _specialists_where("npi", list(rows), stored_columns)
    }
    existing_ids = [values["id"] for values in existing.values()]
    stored_certifications: dict[int, dict[int, dict]] = {}
    stored_treatments: dict[int, set[int]] = {}
    for ids in _chunks(existing_ids):
        for values in BoardCertification.objects.filter(specialist_id__in=ids).values(
            "id", "specialist_id", "board_id", "expires_on", "certified_since"
        ):
            stored_certifications.setdefault(values["specialist_id"], {})[values["board_id"]] = (
                values
            )
        for specialist_id, treatment_id in Specialist.treatments.through.objects.filter(
            specialist_id__in=ids
        ).values_list("specialist_id", "treatment_id"):
            stored_treatments.setdefault(specialist_id, set()).add(treatment_id)

    to_write: list[_Row] = []
    new_institutes: dict[str, _Row] = {}
    for npi, row in rows.items():
        stored = existing.get(npi)
        certifications = stored_certifications.get(stored["id"], {}) if stored else {}
        conflict = _expiry_before_start(row, certifications)
        if conflict:
            report.rejections.append(RowRejection(row.line, conflict))
            continue
        institute_id = None
        if row.institute_key:
            institute_id = catalog.institutes.get(row.institute_key)
            if institute_id is None and row.institute_key not in catalog.pending_institutes:
                catalog.pending_institutes[row.institute_key] = row
                new_institutes[row.institute_key] = row
        row.values["institute_id"] = institute_id
        row.values["source"] = source
        if stored is None:
            report.created += 1
            to_write.append(row)
        elif _is_unchanged(row, stored, certifications, stored_treatments.get(stored["id"], set())):
            report.unchanged += 1
        else:
            report.updated += 1
            to_write.append(row)
    report.institutes_created += len(new_institutes)
    if dry_run or not to_write:
        return

    with transaction.atomic(), directory_changes_batched():
        _write(
            to_write,
            new_institutes,
            existing,
            stored_certifications,
            stored_treatments,
            catalog,
            user=user,
            source=source,
        )
        directory_changed()


def _is_unchanged(row: _Row, stored: dict, certifications: dict, treatment_ids: set) -> bool:
    return (
        (row.institute_key is None or row.values["institute_id"] is not None)
        and all(stored[name] == row.values[name] for name in _COMPARED_FIELDS)
        and (row.email is None or row.email == stored["email"])
        and {board: c["expires_on"] for board, c in certifications.items()} == row.certifications
        and treatment_ids == row.treatment_ids
    )


def _expiry_before_start(row: _Row, certifications: dict[int, dict]) -> str | None:
    for board_id, expires_on in row.certifications.items():
        stored = certifications.get(board_id)
        since = stored["certified_since"] if stored else None
        if expires_on and since and expires_on < since:
            return (
                f"boards: expiry {expires_on:%Y-%m-%d} is before the stored "
                f"certified-since date {since:%Y-%m-%d}"
            )
    return None


def _write(
    rows,
    new_institutes,
    existing,
    stored_certifications,
    stored_treatments,
    catalog,
    *,
    user,
    source,
):
    now = timezone.now()
    if new_institutes:
        created = _institutes_create(list(new_institutes.values()), user=user, source=source)
        for key, institute in zip(new_institutes, created, strict=True):
            catalog.institutes[key] = institute.pk
            del catalog.pending_institutes[key]
    for row in rows:
        if row.institute_key:
            row.values["institute_id"] = catalog.institutes[row.institute_key]

    created_slugs = {row.npi: _specialist_slug(row) for row in rows if row.npi not in existing}
    taken = {
        slug for (slug,) in _specialists_where("slug", list(created_slugs.values()), ("slug",))
    }
    stamp = connection.ops.adapt_datetimefield_value(now)
    user_id = user.pk if user is not None else None
    specialists = []
    for row in rows:
        stored = existing.get(row.npi)
        slug = stored["slug"] if stored else created_slugs[row.npi]
        if slug in taken:
            slug = f"{slug[:150]}-{row.line}"
        email = row.email if row.email is not None else (stored["email"] if stored else "")
        values = row.values
        specialists.append(
            (row.npi, slug, stamp, email, stamp, user_id, *[values[f] for f in _COMPARED_FIELDS])
        )
    _insert(
        Specialist,
        ("npi", "slug", "created_at", *_UPDATED_FIELDS),
        specialists,
        upsert_on="npi",
        update=_UPDATED_FIELDS,
    )
    ids = {stored["npi"]: stored["id"] for stored in existing.values()}
    ids.update(
        _specialists_where(
            "npi", [row.npi for row in rows if row.npi not in existing], ("npi", "id")
        )
    )

    adapt_date = connection.ops.adapt_datefield_value
    create_certifications, update_certifications, delete_certifications = [], [], []
    replace_treatments: list[int] = []
    links = []
    for row in rows:
        specialist_id = ids[row.npi]
        stored = stored_certifications.get(specialist_id, {})
        for board_id, expires_on in row.certifications.items():
            current = stored.get(board_id)
            if current is None:
                create_certifications.append((specialist_id, board_id, adapt_date(expires_on)))
            elif current["expires_on"] != expires_on:
                update_certifications.append((adapt_date(expires_on), current["id"]))
        delete_certifications += [
            current["id"]
            for board_id, current in stored.items()
            if board_id not in row.certifications
        ]
        if stored_treatments.get(specialist_id, set()) != row.treatment_ids:
            replace_treatments.append(specialist_id)
            links += [(specialist_id, treatment_id) for treatment_id in row.treatment_ids]
    for ids in _chunks(delete_certifications):
        BoardCertification.objects.filter(id__in=ids).delete()
    if update_certifications:
        table, column = _table(BoardCertification), _column(BoardCertification, "expires_on")
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET {column} = %s WHERE {_column(BoardCertification, 'id')} = %s",
                update_certifications,
            )
    _insert(BoardCertification, ("specialist", "board", "expires_on"), create_certifications)
    through = Specialist.treatments.through
    for ids in _chunks(replace_treatments):
        through.objects.filter(specialist_id__in=ids).delete()
    _insert(through, ("specialist", "treatment"), links)


def _specialists_where(field: str, values: list[str], fields: tuple[str, ...]) -> list[tuple]:
    """``fields`` of the specialists whose ``field`` is one of ``values``, in plain queries.

    The ORM prepares an ``__in`` lookup value by value, which costs more than the query
    itself on a batch of thousands. Booleans come back as stored (0/1 on SQLite), which
    compare equal to True/False.
    """
    columns = ", ".join(_column(Specialist, name) for name in fields)
    found = []
    with connection.cursor() as cursor:
        for chunk in _chunks(values):
            cursor.execute(
                f"SELECT {columns} FROM {_table(Specialist)} "
                f"WHERE {_column(Specialist, field)} IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            found += cursor.fetchall()
    return found


def _chunks(values: list) -> Iterator[list]:
    """Slices small enough for any SQLite build (older ones bind at most 999 values)."""
    for start in range(0, len(values), 900):
        yield values[start : start + 900]


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _insert(model, fields, rows, *, upsert_on: str | None = None, update=()) -> None:
    """One prepared INSERT (an upsert on ``upsert_on``) run over many rows.

    The ORM's bulk_create spends most of an import compiling SQL value by value; one
    statement with executemany is several times faster on SQLite and PostgreSQL alike.
    Values must already be database-ready (dates through connection.ops).
    """
    if not rows:
        return
    columns = ", ".join(_column(model, name) for name in fields)
    sql = f"INSERT INTO {_table(model)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    if upsert_on:
        assignments = ", ".join(
            f"{_column(model, name)} = EXCLUDED.{_column(model, name)}" for name in update
        )
        sql += f" ON CONFLICT ({_column(model, upsert_on)}) DO UPDATE SET {assignments}"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _institutes_create(rows: list[_Row], *, user, source) -> list[Institute]:
    """New institutes, each placed at the address of the first row that names it."""
    bases = [slugify(row.institute_name)[:130] or "institute" for row in rows]
    taken = set()
    for chunk in _chunks(sorted(set(bases))):
        taken.update(Institute.objects.filter(slug__in=chunk).values_list("slug", flat=True))
    for base in taken.copy():
        taken.update(
            Institute.objects.filter(slug__startswith=f"{base}-").values_list("slug", flat=True)
        )
    institutes = []
    for row, base in zip(rows, bases, strict=True):
        slug, suffix = base, 2
        while slug in taken:
            slug, suffix = f"{base}-{suffix}", suffix + 1
        taken.add(slug)
        values = row.values
        institutes.append(
            Institute(
                name=row.institute_name,
                slug=slug,
                phone=values["phone"],
                address_line1=values["address_line1"],
                address_line2=values["address_line2"],
                city=values["city"],
                state=values["state"],
                zip=values["zip"],
                latitude=values["latitude"],
                longitude=values["longitude"],
                location_source=values["location_source"],
                source=source,
                updated_by=user,
            )
        )
    return Institute.objects.bulk_create(institutes)


def _specialist_slug(row: _Row) -> str:
    """Stable per specialist: the name part is cut so the NPI always fits."""
    values = row.values
    name = slugify(f"{values['first_name']} {values['last_name']} {values['credentials']}")
    return f"{name[:148].strip('-')}-{row.npi}" if name else row.npi
