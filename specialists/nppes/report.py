"""What an NPPES import reports: counts, and skipped records counted per reason (the file
is too large to list every line)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class NppesReport:
    dry_run: bool
    # Every record in the file, and those that are the directory's: a wanted taxonomy or
    # an NPI already listed.
    scanned: int = 0
    matched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    # Fields written to listings that existed, each one logged as a ListingChange.
    field_changes: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        text = (
            f"{self.scanned:,} rows scanned, {self.matched:,} for the directory: "
            f"{self.created:,} created (inactive drafts), {self.updated:,} updated "
            f"({self.field_changes:,} field changes), {self.unchanged:,} unchanged, "
            f"{self.deactivated:,} deactivated; {sum(self.skipped.values()):,} skipped"
        )
        if self.skipped:
            text += (
                " ("
                + ", ".join(f"{reason}: {n:,}" for reason, n in self.skipped.most_common())
                + ")"
            )
        return text + (" (dry run: nothing written)" if self.dry_run else "")
