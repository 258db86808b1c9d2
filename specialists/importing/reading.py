"""Reading the provider CSV: UTF-8 lines, the header, and the data rows with their line
numbers."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from .report import ImportReport

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
# Beyond the contract's first columns: where patient requests go, and the facts patients
# filter on. Each is left untouched on stored listings when the file lacks its column.
OPTIONAL_EXTRA_COLUMNS = ("email", "languages", "gender", "telehealth", "insurance")


class ImportFileError(ValueError):
    """The file cannot be read (header, encoding, CSV syntax); the message says why.

    ``report`` holds what was done before an unreadable line (None for a bad header).
    """

    def __init__(self, message: str, *, report: ImportReport | None = None):
        super().__init__(message)
        self.report = report


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


@dataclass(frozen=True, slots=True)
class Header:
    """The file's column names, normalised, and where each one is in a row."""

    names: list[str]
    index: dict[str, int]

    @property
    def ignored_columns(self) -> list[str]:
        return [
            name
            for name in self.names
            if name not in COLUMNS and name not in OPTIONAL_EXTRA_COLUMNS
        ]

    def cells(self, values: list[str]) -> dict[str, str]:
        """A row's stripped values by column name; a contract column the file lacks is ""."""
        cells = dict.fromkeys(COLUMNS, "")
        for name, position in self.index.items():
            cells[name] = values[position].strip()
        return cells


def header_read(reader) -> Header:
    """The first row of a ``csv.reader``; ImportFileError when it is unusable."""
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
    names = [name.strip().lower().lstrip("\ufeff") for name in raw]
    duplicates = sorted({name for name in names if name and names.count(name) > 1})
    if duplicates:
        raise ImportFileError("Duplicate columns in the header: " + ", ".join(duplicates) + ".")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise ImportFileError(
            "Missing required columns: "
            + ", ".join(missing)
            + ". Expected header: "
            + ", ".join(COLUMNS)
            + "."
        )
    return Header(names=names, index={name: position for position, name in enumerate(names)})


class DataRows:
    """The non-blank rows after the header, each with the line it starts on.

    A line that cannot be read ends the rows; ``failure`` then says which and why, so the
    rows before it can still be written.
    """

    def __init__(self, reader):
        self.reader = reader
        self.failure: str | None = None

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        reader = self.reader
        previous_line = reader.line_num
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except ImportFileError as error:
                self.failure = f"{error} The rows before it were imported."
                return
            except UnicodeDecodeError:
                self.failure = (
                    f"The file is not UTF-8 text after line {previous_line}; save it as "
                    "CSV UTF-8 and import it again (the rows before it were imported)."
                )
                return
            except csv.Error as error:
                self.failure = (
                    f"Line {previous_line + 1}: unreadable CSV ({error}); "
                    "the rows before it were imported."
                )
                return
            line = previous_line + 1
            previous_line = reader.line_num
            if not values or (len(values) == 1 and not values[0].strip()):
                continue
            yield line, values
