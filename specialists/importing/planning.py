"""Planning a batch against what is stored: which rows are new, changed, unchanged, or
rejected (an NPI already read, an expiry before the stored certified-since date)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..models import BoardCertification, Specialist
from .parsing import Catalog, ProviderRow
from .report import RowRejection
from .sql import chunks, specialists_where

COMPARED_FIELDS = (
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
# Compared and written only when the file has their column (parsing's ``row.optional``).
OPTIONAL_FIELDS = ("email", "languages", "gender", "telehealth")


class SeenNpis:
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

    def add(self, rows: list[ProviderRow]) -> None:
        keys = np.array([int(row.npi) for row in rows], dtype=np.int64)
        lines = np.array([row.line for row in rows], dtype=np.int64)
        order = np.argsort(keys)
        keys, lines = keys[order], lines[order]
        positions = np.searchsorted(self.npis, keys)
        self.npis = np.insert(self.npis, positions, keys)
        self.lines = np.insert(self.lines, positions, lines)


@dataclass
class StoredListings:
    """What is stored for a batch's NPIs."""

    # By NPI: id, npi, slug, the optional and the compared fields.
    specialists: dict[str, dict] = field(default_factory=dict)
    # By specialist id, then board id: id, specialist_id, board_id, expires_on, certified_since.
    certifications: dict[int, dict[int, dict]] = field(default_factory=dict)
    # By specialist id.
    treatments: dict[int, set[int]] = field(default_factory=dict)
    insurance: dict[int, set[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, npis: list[str]) -> StoredListings:
        columns = ("id", "npi", "slug", *OPTIONAL_FIELDS, *COMPARED_FIELDS)
        stored = cls(
            specialists={
                values[1]: dict(zip(columns, values, strict=True))
                for values in specialists_where("npi", npis, columns)
            }
        )
        specialist_ids = [values["id"] for values in stored.specialists.values()]
        for ids in chunks(specialist_ids):
            for values in BoardCertification.objects.filter(specialist_id__in=ids).values(
                "id", "specialist_id", "board_id", "expires_on", "certified_since"
            ):
                stored.certifications.setdefault(values["specialist_id"], {})[
                    values["board_id"]
                ] = values
            for specialist_id, treatment_id in Specialist.treatments.through.objects.filter(
                specialist_id__in=ids
            ).values_list("specialist_id", "treatment_id"):
                stored.treatments.setdefault(specialist_id, set()).add(treatment_id)
            for specialist_id, plan_id in Specialist.insurance.through.objects.filter(
                specialist_id__in=ids
            ).values_list("specialist_id", "insuranceplan_id"):
                stored.insurance.setdefault(specialist_id, set()).add(plan_id)
        return stored


@dataclass
class BatchPlan:
    """A batch sorted out: the rows to write, the institutes to create, what to count."""

    stored: StoredListings = field(default_factory=StoredListings)
    to_write: list[ProviderRow] = field(default_factory=list)
    new_institutes: dict[str, ProviderRow] = field(default_factory=dict)
    rejections: list[RowRejection] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, row: ProviderRow, catalog: Catalog, source: str) -> None:
        stored = self.stored.specialists.get(row.npi)
        certifications = self.stored.certifications.get(stored["id"], {}) if stored else {}
        conflict = _expiry_before_start(row, certifications)
        if conflict:
            self.rejections.append(row.rejection(conflict))
            return
        row.values["institute_id"] = self._institute_id(row, catalog)
        row.values["source"] = source
        if stored is None:
            self.created += 1
            self.to_write.append(row)
        elif _is_unchanged(row, stored, certifications, self.stored):
            self.unchanged += 1
        else:
            self.updated += 1
            self.to_write.append(row)

    def _institute_id(self, row: ProviderRow, catalog: Catalog) -> int | None:
        """The stored institute the row names; an unknown one is planned once per import."""
        if not row.institute_key:
            return None
        institute_id = catalog.institutes.get(row.institute_key)
        if institute_id is None and row.institute_key not in catalog.pending_institutes:
            catalog.pending_institutes[row.institute_key] = row
            self.new_institutes[row.institute_key] = row
        return institute_id


def batch_plan(
    batch: list[ProviderRow], *, seen: SeenNpis, catalog: Catalog, source: str
) -> BatchPlan:
    """Compare a batch of valid rows with the database; the plan says what differs.

    Adds the batch's NPIs to ``seen``, and the institutes it is first to name to
    ``catalog.pending_institutes``.
    """
    plan = BatchPlan()
    rows: dict[str, ProviderRow] = {}
    earlier_lines = seen.earlier_lines([row.npi for row in batch])
    for row, earlier in zip(batch, earlier_lines, strict=True):
        first = rows.get(row.npi)
        earlier = earlier if earlier is not None else (first.line if first else None)
        if earlier is not None:
            plan.rejections.append(
                row.rejection(f"npi: {row.npi} already appears on line {earlier}")
            )
        else:
            rows[row.npi] = row
    if not rows:
        return plan
    seen.add(list(rows.values()))
    plan.stored = StoredListings.load(list(rows))
    for row in rows.values():
        plan.add(row, catalog, source)
    return plan


def _is_unchanged(
    row: ProviderRow, stored: dict, certifications: dict, listings: StoredListings
) -> bool:
    specialist_id = stored["id"]
    return (
        (row.institute_key is None or row.values["institute_id"] is not None)
        and all(stored[name] == row.values[name] for name in COMPARED_FIELDS)
        and all(stored[name] == value for name, value in row.optional.items())
        and {board: c["expires_on"] for board, c in certifications.items()} == row.certifications
        and listings.treatments.get(specialist_id, set()) == row.treatment_ids
        and (
            row.insurance_ids is None
            or listings.insurance.get(specialist_id, set()) == row.insurance_ids
        )
    )


def _expiry_before_start(row: ProviderRow, certifications: dict[int, dict]) -> str | None:
    for board_id, expires_on in row.certifications.items():
        stored = certifications.get(board_id)
        since = stored["certified_since"] if stored else None
        if expires_on and since and expires_on < since:
            return (
                f"boards: expiry {expires_on:%Y-%m-%d} is before the stored "
                f"certified-since date {since:%Y-%m-%d}"
            )
    return None
