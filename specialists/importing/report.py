"""What an import reports: its counts and each rejected row's line and reason."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

REJECTION_COLUMNS = ("line", "npi", "name", "reason")


@dataclass(frozen=True, slots=True)
class RowRejection:
    line: int
    reason: str
    # Who the row is about, as far as it could be read, so a person can find it.
    npi: str = ""
    name: str = ""

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

    def rejections_csv(self) -> bytes:
        """The rejected rows as a UTF-8 CSV file: line, npi, name, reason."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(REJECTION_COLUMNS)
        writer.writerows((r.line, r.npi, r.name, r.reason) for r in self.rejections)
        return buffer.getvalue().encode("utf-8")
