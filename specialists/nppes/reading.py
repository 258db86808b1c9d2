"""Reading the NPPES file: its header, and the records worth parsing among millions.

The monthly file has about 330 columns and 9 million rows, of which a few percent are
spine specialists. Parsing every row with ``csv`` costs more than everything else the
import does, so records are first picked on their raw bytes: those whose NPI is already
listed (to update or deactivate them) and those that mention a wanted taxonomy code.
Only those are split into fields; parsing then checks the code is really in a taxonomy
column.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import BinaryIO

TAXONOMY_SLOTS = range(1, 16)
# Files before 2024 call the sex column "Provider Gender Code"; either is accepted.
SEX_COLUMNS = ("Provider Sex Code", "Provider Gender Code")
# The columns the import reads, by the names it uses for them.
COLUMNS = {
    "npi": "NPI",
    "entity_type": "Entity Type Code",
    "last_name": "Provider Last Name (Legal Name)",
    "first_name": "Provider First Name",
    "credentials": "Provider Credential Text",
    "address_line1": "Provider First Line Business Practice Location Address",
    "address_line2": "Provider Second Line Business Practice Location Address",
    "city": "Provider Business Practice Location Address City Name",
    "state": "Provider Business Practice Location Address State Name",
    "postal_code": "Provider Business Practice Location Address Postal Code",
    "phone": "Provider Business Practice Location Address Telephone Number",
    "deactivated_on": "NPI Deactivation Date",
    "reactivated_on": "NPI Reactivation Date",
    "last_updated_on": "Last Update Date",
    **{f"taxonomy_{n}": f"Healthcare Provider Taxonomy Code_{n}" for n in TAXONOMY_SLOTS},
    **{f"primary_{n}": f"Healthcare Provider Primary Taxonomy Switch_{n}" for n in TAXONOMY_SLOTS},
}


class NppesFileError(ValueError):
    """The file is not an NPPES data file, or cannot be read; the message says why."""


@dataclass(frozen=True)
class NppesHeader:
    """Where each column the import reads sits in a row, and how many a row has."""

    positions: dict[str, int]
    width: int


def header_read(binary: BinaryIO) -> NppesHeader:
    """The first line's columns; NppesFileError naming every missing column."""
    first = binary.readline()
    if not first.strip():
        raise NppesFileError("The file is empty; expected the NPPES header row.")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NppesFileError("The header row is not UTF-8 text.") from None
    names = [name.strip() for name in next(csv.reader([text]))]
    index = {name: position for position, name in enumerate(names)}
    missing = [column for column in COLUMNS.values() if column not in index]
    if not any(column in index for column in SEX_COLUMNS):
        missing.append(" or ".join(SEX_COLUMNS))
    if missing:
        raise NppesFileError(
            "Not an NPPES data dissemination file: missing columns "
            + ", ".join(f"'{column}'" for column in missing)
            + "."
        )
    if index[COLUMNS["npi"]] != 0:
        # The scan reads a record's NPI from its first bytes, before splitting it.
        raise NppesFileError("Not an NPPES data dissemination file: NPI is not the first column.")
    return NppesHeader(
        positions={name: index[column] for name, column in COLUMNS.items()}, width=len(names)
    )


def taxonomy_pattern(codes: Collection[str]) -> re.Pattern[bytes]:
    return re.compile(b"|".join(re.escape(code.encode("ascii")) for code in sorted(codes)))


class RecordScan:
    """The file's records after the header, keeping only those worth parsing.

    A record is one line, or several when a quoted value holds a line break (an odd
    number of quote characters so far). ``scanned`` counts every record and
    ``bytes_read`` the bytes behind them; ``progress`` is called with ``bytes_read``
    every ``progress_every`` records.
    """

    def __init__(
        self,
        binary: BinaryIO,
        *,
        listed_npis: Collection[bytes],
        wanted: re.Pattern[bytes],
        progress: Callable[[int], None] | None = None,
        progress_every: int = 100_000,
    ):
        self.binary = binary
        self.listed_npis = listed_npis
        self.wanted = wanted
        self.progress = progress
        self.progress_every = progress_every
        self.scanned = 0
        self.bytes_read = 0

    def __iter__(self) -> Iterator[tuple[bytes, bool]]:
        """Each record worth parsing, and whether its NPI is listed in the directory."""
        listed, search = self.listed_npis, self.wanted.search
        scanned = bytes_read = 0
        pending = b""
        for line in self.binary:
            bytes_read += len(line)
            if pending:
                line = pending + line
            if line.count(b'"') & 1:
                pending = line
                continue
            pending = b""
            if not line.strip():
                continue
            scanned += 1
            npi = line[1:11] if line[:1] == b'"' else line[:10]
            if npi in listed:
                yield line, True
            elif search(line):
                yield line, False
            if self.progress and not scanned % self.progress_every:
                self.scanned, self.bytes_read = scanned, bytes_read
                self.progress(bytes_read)
        if pending:
            # A quote left open at the end: let parsing say what is wrong with it.
            scanned += 1
            yield pending, False
        self.scanned, self.bytes_read = scanned, bytes_read
        if self.progress:
            self.progress(bytes_read)
