"""The in-memory index behind every nearest search and every result card.

**Searching.** A snapshot (``DirectoryIndex``) is an immutable *base* (``matcher.snapshot``:
the specialists qualifying on the day it was read, as points on the unit sphere in
KD-trees, one over all of them and one per treatment; every institute with a tree) plus a
small *overlay*: the rows of specialists and institutes changed since the base was read,
as they are now, and tombstones for the base rows they replace. A search asks the base's
tree for the K nearest inside the radius's chord, skipping tombstoned rows (asking for more
until it holds K live ones and every tie with the last), takes the overlay's rows inside
the chord by brute force (it holds at most MATCH_INDEX_OVERLAY_MAX rows), and orders the
union by the exact great-circle distance, then last name, then id. The total in the radius
is the base tree's ball count, less the tombstoned rows inside, plus the overlay's rows
inside; the name order merges the base's precomputed order with the overlay's few rows.
Filters narrow every part alike: the base keeps each fact as a per-row array (booleans,
small codes, bitsets for languages, insurance plans and treatments) and a filter
combination gets its own tree over exactly the matching base rows, built on first use and
kept in a bounded least-recently-used cache, so a rare filter still answers with the true
nearest. Institutes are listed when one of their specialists matches, counted the same way.

**Cards.** Every qualifying specialist's result card is rendered from the snapshot without
a query (``DirectoryIndex.specialist_card``): the row holds the card's text already escaped
for JSON; boards, treatments and the institute come from the catalog and the institute rows
at serve time, so a board or institute rename changes no specialist row.

**Freshness.** Each change to the directory bumps ``DirectoryVersion`` and writes a
``DirectoryChange`` row naming the specialists and institutes it touched, in the same
transaction (``specialists.services.directory_changed``). A search reads the version (one
primary-key query) when the process last read it more than MATCH_INDEX_RECHECK_SECONDS ago
(1 s; 0 reads it on every search). When it moved, the process reads the change rows past
its version, then those specialists and institutes from the database (a few queries,
whatever the directory's size, time proportional to the change), and swaps in a snapshot
with a new overlay. Certifications lapse at midnight without any write: each row keeps the
last day it qualifies, so a new date only tombstones the rows whose day passed. So a
committed change is answered by every process within that second.

**Rebuilds never block a search.** A new base is read from the database when the overlay
outgrows MATCH_INDEX_OVERLAY_MAX rows (a fold), when one recheck finds more than
MATCH_INDEX_DELTA_MAX changed ids, a change that named no ids (``directory_changed()``), a
gap in the change log (pruned rows, or a bump made without one), or a date or version that
went backwards. It is built in the background while searches answer from the current
snapshot: with MATCH_INDEX_DIR set (the default, ``var/match-index``), by a separate
process (``manage.py match_index_build``) that writes a snapshot file which every process
on the host maps read-only and picks up at its next recheck, then catches up with the
change log past the file's version; without it, by a thread in the process. Only a
process with no snapshot at all waits: it maps the newest valid file (a fresh process
answers its first search in milliseconds plus the catch-up) or, with none, waits for the
build. While a rebuild runs after a change the log could not carry, searches answer from
the snapshot before that change: staler than the freshness promise by the build's time.

**What it costs** (README "Matching" has the table): a snapshot file of about 250 bytes a
qualifying specialist (221 MB at 1,000,000), of which a process holds the pages its
searches touch (129 MB after 50,000 searches from random ZIPs) plus the trees' nodes it
copies (16 MB) and a few MB of decompressed cards; a fresh process answers its first
search 0.15 s after Django has started (1.0-1.1 s after the process started); applying a
change costs time proportional to the change, nothing the size of the base (about 4 ms at
1,000,000: its rows read with statements compiled once, its base rows found by binary
search, tombstones kept as sorted rows); a new base takes half a minute at 1,000,000, in
the background.

The version is a counter, so a rolled-back transaction that bumped it leaves no row and no
number behind. Production never reads the index inside a writing transaction (requests are
not atomic); tests roll back after each test, so they call ``forget()`` and set
MATCH_INDEX_RECHECK_SECONDS to 0 and MATCH_INDEX_BACKGROUND to False (every rebuild
inline, on the test's own connection).
"""

from __future__ import annotations

import bisect
import contextlib
import contextvars
import datetime
import fcntl
import itertools
import json
import logging
import math
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.metrics import (
    MATCH_INDEX_BUILD_SECONDS,
    MATCH_INDEX_BUILT,
    MATCH_INDEX_CURRENT,
    MATCH_INDEX_DELTA_SECONDS,
)
from geo.distance import (
    DEFAULT_UNIT,
    angle_to_chord,
    distance_to_angle,
    great_circle_distance,
    great_circle_distances,
    unit_vector,
    unit_vectors,
)
from geo.gazetteer import located_zip_places
from specialists.models import DirectoryChange, DirectoryVersion

from .snapshot import Base, PointSet, base_columns, snapshot_header, snapshot_open, snapshot_write
from .tables import (
    CARD_FIELDS,
    NO_FILTER,
    Catalog,
    InstituteTable,
    SpecialistFilter,
    SpecialistRows,
    SpecialistTable,
    SpecialistUrl,
    institutes_read,
    specialist_rows,
    specialists_read,
)

__all__ = ["NO_FILTER", "SpecialistFilter"]

logger = logging.getLogger(__name__)

# The settings (config/settings.py): MATCH_INDEX_RECHECK_SECONDS, how long a process
# trusts its snapshot before reading the directory version again (searches then cost no
# query); MATCH_INDEX_OVERLAY_MAX, the rows changed or lapsed since the base beyond which
# a new base is built; MATCH_INDEX_DELTA_MAX, the changed ids one recheck applies itself;
# MATCH_INDEX_LOG_DAYS, the age of the change rows each build prunes; MATCH_INDEX_DIR,
# MATCH_INDEX_BACKGROUND, MATCH_INDEX_PLACE_TOTALS_MIN_ROWS.

# MATCH_INDEX_RECHECK_SECONDS's default (config/settings.py), for what waits on freshness.
DEFAULT_RECHECK_SECONDS = 1.0
# How long a process waits for another's build when it has no snapshot at all.
_FIRST_BUILD_WAIT_SECONDS = 600
_SNAPSHOT_SUFFIX = ".idx"

# Chord slack (unit sphere, about 6 mm on Earth) that covers float rounding between the
# tree's Euclidean chord and the haversine recheck, so ties are never cut arbitrarily.
_CHORD_SLACK = 1e-9
_SETS_KEPT = 64

# The radius, in DEFAULT_UNIT, of a search that names none (the API's and the pages').
DEFAULT_RADIUS = 50

SORT_DISTANCE = "distance"
SORT_NAME = "name"
SORTS = (SORT_DISTANCE, SORT_NAME)


@dataclass(frozen=True, slots=True)
class SpecialistFacts:
    """One specialist's listing facts, for ``DirectoryIndex.from_rows``."""

    first_name: str = ""
    accepting: bool = True
    telehealth: bool = False
    gender: str = ""
    specialty: str = ""
    languages: str = ""


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a search: ``found`` in order, and ``total`` in the radius."""

    found: list
    total: int


# --- Geometry ---------------------------------------------------------------------------


def _chord_bounds(max_angle: float) -> tuple[float, float]:
    """Chords that surely lie inside and surely cover ``max_angle``; points between the two
    are decided by the exact great-circle formula."""
    chord = angle_to_chord(max_angle)
    return max(0.0, chord * (1 - 1e-9) - 1e-12), chord * (1 + 1e-9) + 1e-12


@dataclass(frozen=True, slots=True)
class _Origin:
    """A search: where from, how far (None: anywhere), in which unit, and which part of
    the ordered answer (``offset``, ``limit``, ``sort``; ``count``: the total too)."""

    latitude: float
    longitude: float
    radius: float | None
    unit: str
    limit: int
    offset: int
    sort: str
    count: bool
    point: np.ndarray
    max_angle: float | None

    @classmethod
    def of(
        cls,
        *,
        latitude: float,
        longitude: float,
        radius: float | None,
        unit: str,
        limit: int,
        offset: int = 0,
        sort: str = SORT_DISTANCE,
        count: bool = True,
    ) -> _Origin:
        return cls(
            latitude,
            longitude,
            radius,
            unit,
            limit,
            offset,
            sort,
            count,
            unit_vector(latitude, longitude),
            None if radius is None else distance_to_angle(radius, unit=unit),
        )

    @property
    def place(self) -> tuple[float, float, float | None, str]:
        """What decides which points lie within the radius."""
        return self.latitude, self.longitude, self.radius, self.unit

    def distance(self, latitude: float, longitude: float) -> float:
        return great_circle_distance(
            self.latitude, self.longitude, latitude, longitude, unit=self.unit
        )

    def near(self, vectors: np.ndarray) -> np.ndarray:
        """A mask of the points that may lie within the radius (all without one)."""
        if self.max_angle is None or not len(vectors):
            return np.ones(len(vectors), dtype=bool)
        return np.linalg.norm(vectors - self.point, axis=1) <= _chord_bounds(self.max_angle)[1]

    def inside(self, table, rows: np.ndarray) -> np.ndarray:
        """Those of ``rows`` of ``table`` within the radius by the exact rule: surely by
        chord, else by the great-circle formula."""
        if self.max_angle is None or not len(rows):
            return rows
        inner, outer = _chord_bounds(self.max_angle)
        chords = np.linalg.norm(table.vectors[rows] - self.point, axis=1)
        keep = chords <= inner
        for position in np.flatnonzero(~keep & (chords <= outer)).tolist():
            row = int(rows[position])
            keep[position] = (
                self.distance(float(table.latitudes[row]), float(table.longitudes[row]))
                <= self.radius
            )
        return rows[keep]


def _among(rows: np.ndarray, sorted_rows: np.ndarray) -> np.ndarray:
    """A mask of those of ``rows`` that ``sorted_rows`` (ascending) holds: a binary search
    each, so the cost follows the rows asked about and the tombstones, never the table (a
    mask over the table would cost a full-size array on every change applied)."""
    if not len(sorted_rows) or not len(rows):
        return np.zeros(len(rows), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_rows, rows), len(sorted_rows) - 1)
    return sorted_rows[at] == rows


def _candidates(points: PointSet, origin: _Origin, *, want: int, skip: np.ndarray) -> np.ndarray:
    """Rows of ``points`` that include the ``want`` nearest within the radius that ``skip``
    (sorted rows of the table) leaves, and every tie with the last of them; may include a
    few more, which the caller's exact ranking drops."""
    tree = points.tree
    if tree is None or want <= 0:
        return points.rows[:0]
    total = tree.n
    bound = math.inf if origin.max_angle is None else _chord_bounds(origin.max_angle)[1]
    k = min(want + 1, total)
    while True:
        chords, positions = tree.query(origin.point, k=k, distance_upper_bound=bound)
        chords, positions = np.atleast_1d(chords), np.atleast_1d(positions)
        found = np.isfinite(chords)
        chords, rows = chords[found], points.rows[positions[found]]
        live = ~_among(rows, skip)
        kept = chords[live]
        if (
            k == total
            or len(rows) < k
            or (len(kept) >= want and chords[-1] > kept[want - 1] + _CHORD_SLACK)
        ):
            return rows[live]
        k = min(2 * k + (len(rows) - len(kept)), total)


def _inside_points(points: PointSet, table, origin: _Origin) -> np.ndarray:
    """Rows of ``points`` within the radius by the exact rule."""
    if points.tree is None:
        return points.rows[:0]
    if origin.max_angle is None:
        return points.rows
    positions = points.tree.query_ball_point(
        origin.point, _chord_bounds(origin.max_angle)[1], return_sorted=False
    )
    return origin.inside(table, points.rows[np.asarray(positions, dtype=np.int64)])


def _count_points(points: PointSet, table, origin: _Origin) -> int:
    """How many rows of ``points`` lie within the radius by the exact rule."""
    if points.tree is None:
        return 0
    if origin.max_angle is None:
        return len(points)
    inner, outer = _chord_bounds(origin.max_angle)
    surely = int(points.tree.query_ball_point(origin.point, inner, return_length=True))
    maybe = int(points.tree.query_ball_point(origin.point, outer, return_length=True))
    if surely == maybe:
        return surely
    return len(_inside_points(points, table, origin))


# --- Ranking over several tables -------------------------------------------------------


class _Source:
    """A table the ranking reads: the base's or the overlay's specialists or institutes,
    with the name that breaks ties of distance and the key of the name order."""

    __slots__ = ("name", "name_key", "table")

    def __init__(self, table, name, name_key):
        self.table = table
        self.name = name
        self.name_key = name_key


def _ranked(parts: Sequence[tuple[_Source, np.ndarray]], origin: _Origin, *, bounded=True):
    """(exact distance, id, source, row) of the rows, within the radius when ``bounded``,
    nearest first; equal distances by name, then id."""
    entries = []
    for source, rows in parts:
        if not len(rows):
            continue
        table = source.table
        distances = great_circle_distances(
            origin.latitude,
            origin.longitude,
            table.latitudes[rows].tolist(),
            table.longitudes[rows].tolist(),
            unit=origin.unit,
        )
        limit = math.inf if not bounded or origin.radius is None else origin.radius
        pks = table.ids[rows].tolist()
        entries.extend(
            (distance, pk, source, row)
            for distance, pk, row in zip(distances, pks, rows.tolist(), strict=True)
            if distance <= limit
        )
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    start = 0
    while start < len(entries):
        end = start + 1
        while end < len(entries) and entries[end][0] == entries[start][0]:
            end += 1
        if end - start > 1:
            entries[start:end] = sorted(
                entries[start:end], key=lambda entry: (entry[2].name(entry[3]), entry[1])
            )
        start = end
    return entries


class _NameOrder(Sequence):
    """A base's rows in name order as their keys, read only where a bisection looks."""

    def __init__(self, order: np.ndarray, key):
        self.order = order
        self.key = key

    def __len__(self) -> int:
        return len(self.order)

    def __getitem__(self, position):
        return self.key(int(self.order[position]))


def _by_name(
    base_source: _Source,
    base_rows: np.ndarray,
    rank: np.ndarray,
    order: np.ndarray,
    others: Sequence[tuple[_Source, np.ndarray]],
    end: int,
) -> list[tuple[_Source, int]]:
    """The first ``end`` of the union in name order: the base's rows by their precomputed
    rank, the other rows placed among them by bisecting the base's order with their key."""
    take = min(end, len(base_rows))
    top = base_rows
    if take < len(base_rows):
        top = base_rows[np.argpartition(rank[base_rows], take - 1)[:take]]
    top = top[np.argsort(rank[top])]
    if not any(len(rows) for _, rows in others):
        return [(base_source, row) for row in top[:end].tolist()]
    placed = [((float(rank[row]), ()), base_source, row) for row in top.tolist()]
    names = _NameOrder(order, base_source.name_key)
    for source, rows in others:
        for row in rows.tolist():
            key = source.name_key(row)
            placed.append(((bisect.bisect_left(names, key) - 0.5, key), source, row))
    placed.sort(key=lambda entry: entry[0])
    return [(source, row) for _, source, row in placed[:end]]


def _name_page(origin: _Origin, base: tuple, others: Sequence[tuple[_Source, np.ndarray]]):
    """The search's window of the union in name order, as ``_ranked`` gives entries, and
    the union's size; ``base`` is (source, rows, rank, order), the rows within the
    radius."""
    source, rows, rank, order = base
    total = len(rows) + sum(len(other) for _, other in others)
    end = min(origin.offset + origin.limit, total)
    if end <= origin.offset:
        return [], total
    chosen = _by_name(source, rows, rank, order, others, end)[origin.offset : end]
    return [
        (
            origin.distance(
                float(source.table.latitudes[row]), float(source.table.longitudes[row])
            ),
            int(source.table.ids[row]),
            source,
            row,
        )
        for source, row in chosen
    ], total


# --- The overlay -----------------------------------------------------------------------


def _empty_specialists() -> SpecialistTable:
    return SpecialistTable.from_rows([])


def _empty_institutes() -> InstituteTable:
    return InstituteTable.from_rows([])


@dataclass(frozen=True)
class Overlay:
    """What changed since the base was read: the changed specialists still qualifying and
    the changed institutes, as they are now (ordered by id), and the base rows they replace
    or remove (``dead`` and ``dead_institutes``: sorted rows of the base's tables)."""

    specialists: SpecialistTable
    dead: np.ndarray
    institutes: InstituteTable
    dead_institutes: np.ndarray

    @classmethod
    def empty(cls) -> Overlay:
        none = np.zeros(0, np.int64)
        return cls(_empty_specialists(), none, _empty_institutes(), none)

    def merged(
        self,
        base: Base,
        *,
        specialist_ids: list[int],
        specialists: SpecialistTable,
        institute_ids: list[int],
        institutes: InstituteTable,
    ) -> Overlay:
        """This overlay with ``specialist_ids`` and ``institute_ids`` replaced by their rows
        as read now (ids absent from those rows no longer qualify, or exist)."""
        changed = np.asarray(specialist_ids, dtype=np.int64)
        replaced = base.rows_of(changed)
        dead = np.union1d(self.dead, replaced[replaced >= 0])
        kept = np.flatnonzero(~np.isin(self.specialists.ids, changed))
        rows = SpecialistTable.concat([self.specialists.take(kept), specialists])
        rows = rows.take(np.argsort(rows.ids, kind="stable"))

        dead_institutes = self.dead_institutes
        other = self.institutes
        if institute_ids:
            positions = [base.institutes.position(pk) for pk in institute_ids]
            dead_institutes = np.union1d(
                dead_institutes, np.asarray([p for p in positions if p >= 0], dtype=np.int64)
            )
            kept_institutes = np.flatnonzero(~np.isin(other.ids, institute_ids))
            other = InstituteTable.concat([other.take(kept_institutes), institutes])
            other = other.take(np.argsort(other.ids, kind="stable"))
        return Overlay(rows, dead, other, dead_institutes)


# --- Snapshots ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _SpecialistSet:
    """A filter combination's parts: the base's tree, its base rows no longer live, the
    overlay's live rows."""

    points: PointSet
    gone: np.ndarray
    added: np.ndarray


@dataclass(frozen=True, slots=True)
class _InstituteSet:
    points: PointSet
    skip: np.ndarray
    skipped: np.ndarray
    extra_base: np.ndarray
    extra_overlay: np.ndarray


class DirectoryIndex:
    """An immutable snapshot of the directory for one version and one date: a base, an
    overlay and the catalog. Safe to share between threads."""

    def __init__(
        self, *, base: Base, overlay: Overlay, version: int, on: datetime.date, catalog: Catalog
    ):
        self.base = base
        self.overlay = overlay
        self.version = version
        self.on = on
        self.catalog = catalog
        self.treatments_by_slug = catalog.treatments_by_slug
        self.insurance_by_slug = catalog.insurance_by_slug
        self._lock = threading.Lock()
        self._sets: OrderedDict[tuple, _SpecialistSet] = OrderedDict()
        self._institute_sets: OrderedDict[tuple, _InstituteSet] = OrderedDict()
        self._gone: np.ndarray | None = None
        self._card_parts = None
        self._fragments: dict[bytes, bytes | None] = {}
        self._languages: list[str] | None = None
        base_specialists, base_institutes = base.specialists, base.institutes
        overlay_specialists, overlay_institutes = overlay.specialists, overlay.institutes
        self._base = _Source(
            base_specialists, base_specialists.last_name, base_specialists.name_key
        )
        self._added = _Source(
            overlay_specialists, overlay_specialists.last_name, overlay_specialists.name_key
        )
        self._base_institutes = _Source(
            base_institutes, base_institutes.name, base_institutes.name_key
        )
        self._added_institutes = _Source(
            overlay_institutes, overlay_institutes.name, overlay_institutes.name_key
        )

    @classmethod
    def over(cls, base: Base, *, catalog: Catalog) -> DirectoryIndex:
        """A snapshot of ``base`` alone, at its version and date."""
        return cls(
            base=base,
            overlay=Overlay.empty(),
            version=base.meta.version,
            on=base.meta.on,
            catalog=catalog,
        )

    @classmethod
    def from_rows(
        cls,
        *,
        version: int,
        on: datetime.date,
        specialists: list[tuple[int, float, float, str, int | None]],
        links: list[tuple[int, int]],
        institutes: list[tuple[int, float, float, str]],
        treatments: Sequence = (),
        facts: Sequence[SpecialistFacts] | None = None,
        insurance_links: list[tuple[int, int]] = (),
        insurance_plans: Sequence = (),
    ) -> DirectoryIndex:
        """A snapshot of given rows, everyone qualifying: ``specialists`` as (id, latitude,
        longitude, last name, institute id) ordered by id; ``links`` (treatment id,
        specialist id), unknown specialists ignored; ``institutes``: active (id, latitude,
        longitude, name); ``facts``: each specialist's listing facts in the same order
        (default: accepting new patients and nothing else known); ``insurance_links``:
        (plan id, specialist id); ``treatments`` and ``insurance_plans``: the catalog. Its
        cards hold names and facts only."""
        facts = list(facts) if facts is not None else [SpecialistFacts()] * len(specialists)
        if len(facts) != len(specialists):
            raise ValueError("facts must follow the specialists one for one")
        blank = ("",) * (len(CARD_FIELDS) - 6)
        rows = [
            (pk, lat, lon, institute, fact.accepting, fact.telehealth, fact.gender,
             fact.languages, str(pk), "", fact.first_name, last, "", fact.specialty, *blank)
            for (pk, lat, lon, last, institute), fact in zip(specialists, facts, strict=True)
        ]  # fmt: skip
        if any(a[0] >= b[0] for a, b in itertools.pairwise(rows)):
            raise ValueError("specialists must be ordered by id")
        columns, header = base_columns(
            read=SpecialistRows(
                rows,
                [],
                np.asarray(links, dtype=np.int64).reshape(-1, 2),
                np.asarray(insurance_links, dtype=np.int64).reshape(-1, 2),
                always_qualify=True,
            ),
            institutes=InstituteTable.from_rows(
                [(pk, lat, lon, True, name, "") for pk, lat, lon, name in institutes]
            ),
            version=version,
            token=None,
            on=on,
        )
        catalog = Catalog(treatments=list(treatments), insurance_plans=list(insurance_plans))
        return cls.over(Base(columns, header), catalog=catalog)

    # -- what changed ---------------------------------------------------------------------

    def applied(self, changes: Sequence[tuple], *, on: datetime.date) -> DirectoryIndex:
        """This snapshot with ``changes`` (``DirectoryChange`` rows as (version, specialist
        ids, institute ids, catalog)) applied: the rows they name read again from the
        database, the catalog too when it changed."""
        specialist_ids = sorted({pk for change in changes for pk in change[1]})
        institute_ids = {pk for change in changes for pk in change[2]}
        catalog = Catalog.read() if any(change[3] for change in changes) else self.catalog
        specialists = specialists_read(on=on, ids=specialist_ids) if specialist_ids else None
        if specialists is not None:
            # An institute the snapshot has never seen (one created with no signal).
            institute_ids |= {
                pk
                for pk in set(specialists.institutes.tolist()) - {0}
                if self.base.institutes.position(pk) < 0
                and self.overlay.institutes.position(pk) < 0
            }
        institute_ids = sorted(institute_ids)
        overlay = self.overlay.merged(
            self.base,
            specialist_ids=specialist_ids,
            specialists=specialists if specialists is not None else _empty_specialists(),
            institute_ids=institute_ids,
            institutes=institutes_read(institute_ids) if institute_ids else _empty_institutes(),
        )
        return DirectoryIndex(
            base=self.base, overlay=overlay, version=changes[-1][0], on=on, catalog=catalog
        )

    def on_day(self, on: datetime.date) -> DirectoryIndex:
        """This snapshot on another day: certifications lapse, nothing is read."""
        return DirectoryIndex(
            base=self.base, overlay=self.overlay, version=self.version, on=on, catalog=self.catalog
        )

    @property
    def overlay_size(self) -> int:
        """Rows the searches handle beside the base's trees: changed, removed or lapsed."""
        return len(self._gone_rows()) + len(self.overlay.specialists)

    def _gone_rows(self) -> np.ndarray:
        """The base rows no longer live (replaced, removed, or lapsed by ``on``), sorted."""
        if self._gone is None:
            self._gone = np.union1d(self.overlay.dead, self.base.lapsed(self.on))
        return self._gone

    # -- searching ------------------------------------------------------------------------

    def _specialist_set(self, treatment_id: int | None, filters: SpecialistFilter):
        key = (treatment_id, filters)
        with self._lock:
            found = self._sets.get(key)
            if found is not None:
                return found
        gone_rows = self._gone_rows()
        added_table = self.overlay.specialists
        added = np.flatnonzero(
            added_table.matching(treatment_id, filters) & (added_table.until >= self.on.toordinal())
        )
        found = _SpecialistSet(
            points=self.base.point_set(treatment_id, filters),
            gone=gone_rows[self.base.specialists.matching(treatment_id, filters, gone_rows)],
            added=added,
        )
        with self._lock:
            self._sets[key] = found
            while len(self._sets) > _SETS_KEPT:
                self._sets.popitem(last=False)
        return found

    def _specialists_found(
        self, *, treatment_id: int | None, filters: SpecialistFilter = NO_FILTER, **search
    ) -> tuple[list[tuple[float, int, _Source, int]], int]:
        origin = _Origin.of(**search)
        offset, limit = origin.offset, origin.limit
        found = self._specialist_set(treatment_id, filters)
        gone = self._gone_rows()
        added_table = self.overlay.specialists
        base_table = self.base.specialists
        if origin.sort == SORT_NAME:
            base_rows = _inside_points(found.points, base_table, origin)
            base_rows = base_rows[~_among(base_rows, gone)]
            return _name_page(
                origin,
                (self._base, base_rows, self.base.name_rank, self.base.by_name),
                [(self._added, origin.inside(added_table, found.added))],
            )
        base_rows = _candidates(found.points, origin, want=offset + limit, skip=gone)
        added = found.added[origin.near(added_table.vectors[found.added])]
        ranked = _ranked([(self._base, base_rows), (self._added, added)], origin)
        total = 0
        if origin.count:
            total = (
                self._base_total(treatment_id, filters, found.points, origin)
                - len(origin.inside(base_table, found.gone))
                + len(origin.inside(added_table, found.added))
            )
        return ranked[offset : offset + limit], total

    def _base_total(self, treatment_id, filters, points: PointSet, origin: _Origin) -> int:
        """How many of the base's ``points`` lie within the radius: from the base's table
        when the search is the default one around a ZIP (``place_totals``), else counted
        and remembered."""
        if filters == NO_FILTER and origin.radius == DEFAULT_RADIUS and origin.unit == DEFAULT_UNIT:
            found = self.base.place_total(treatment_id, origin.latitude, origin.longitude)
            if found is not None:
                return found
        return self.base.counted(
            ("specialists", treatment_id, filters, *origin.place),
            lambda: _count_points(points, self.base.specialists, origin),
        )

    def specialists_page(self, **search) -> Page:
        """Qualifying specialists offering ``treatment_id`` (None: any) and matching
        ``filters``, found with ``search`` (``latitude``, ``longitude``, ``radius`` (None:
        anywhere), ``unit``, ``limit``, and optionally ``offset``, ``sort`` and ``count``):
        ``found`` holds the ``(id, exact distance)`` of the page, ``total`` how many there
        are (0 unless ``count``).

        Distance order: nearest first, ties by last name then id. Name order: by last name,
        then first name (case-insensitive), then id.
        """
        found, total = self._specialists_found(**search)
        return Page([(pk, distance) for distance, pk, _, _ in found], total)

    def specialist_cards_page(self, **search) -> Page:
        """``specialists_page``'s page as ``(card JSON, exact distance)``: each card as the
        API's renderer writes ``selectors.specialist_cards``'s dict (``"distance":null``)."""
        found, total = self._specialists_found(**search)
        return Page(
            [(self._card(source, row), distance) for distance, _, source, row in found], total
        )

    def specialist_listings_page(self, **search) -> Page:
        """``specialist_cards_page``'s page with each row's ``listing_facts``: ``(card JSON,
        exact distance, (telehealth, language codes, insurance plan ids))``."""
        found, total = self._specialists_found(**search)
        return Page(
            [
                (self._card(source, row), distance, source.table.listing_facts(row))
                for distance, _, source, row in found
            ],
            total,
        )

    def specialists_nearest(self, **query) -> list[tuple[int, float]]:
        """``(id, exact distance)`` of the ``limit`` nearest qualifying specialists within
        ``radius`` (None: anywhere), nearest first, ties by last name then id:
        ``specialists_page``'s found, with its arguments, without counting the total."""
        return self.specialists_page(count=False, **query).found

    def _institute_set(self, treatment_id: int | None, filters: SpecialistFilter):
        key = (treatment_id, filters)
        with self._lock:
            found = self._institute_sets.get(key)
            if found is not None:
                return found
        specialists = self._specialist_set(treatment_id, filters)
        points, counts = self.base.institute_set(treatment_id, filters)
        institutes, added_institutes = self.base.institutes, self.overlay.institutes
        changed: Counter[int] = Counter()
        for row in self.base.institute_rows[specialists.gone].tolist():
            if row >= 0:
                changed[row] -= 1
        new_members: Counter[int] = Counter()
        for pk in self.overlay.specialists.institutes[specialists.added].tolist():
            if pk:
                row = institutes.position(pk)
                if row >= 0:
                    changed[row] += 1
                else:
                    new_members[pk] += 1
        dead = self.overlay.dead_institutes

        def members(row: int) -> int:
            return int(counts[row]) + changed.get(row, 0)

        emptied = [row for row in changed if members(row) <= 0]
        skip = np.union1d(dead, np.asarray(emptied, dtype=np.int64))
        extra_base = [
            row
            for row in changed
            if members(row) > 0
            and counts[row] == 0
            and institutes.active[row]
            and not _among(np.asarray([row]), dead)[0]
        ]
        extra_overlay = []
        for row, pk in enumerate(added_institutes.ids.tolist()):
            base_row = institutes.position(pk)
            alive = members(base_row) if base_row >= 0 else new_members.get(pk, 0)
            if added_institutes.active[row] and alive > 0:
                extra_overlay.append(row)
        found = _InstituteSet(
            points=points,
            skip=skip,
            # The institute set's rows are ascending, like the tombstones.
            skipped=skip[_among(skip, points.rows)],
            extra_base=np.asarray(extra_base, dtype=np.int64),
            extra_overlay=np.asarray(extra_overlay, dtype=np.int64),
        )
        with self._lock:
            self._institute_sets[key] = found
            while len(self._institute_sets) > _SETS_KEPT:
                self._institute_sets.popitem(last=False)
        return found

    def _members(self, source: _Source, row: int, specialists: _SpecialistSet, origin, key):
        """The ids of an institute's live specialists in the set, nearest first."""
        return [
            member
            for _, member, _, _ in _ranked(
                self._member_rows(source, row, specialists, key), origin, bounded=False
            )
        ]

    def _member_rows(self, source: _Source, row: int, specialists: _SpecialistSet, key):
        """An institute's live specialists in the set: their rows in the base and in the
        overlay, in no order."""
        pk = int(source.table.ids[row])
        base_row = row if source is self._base_institutes else self.base.institutes.position(pk)
        rows = np.zeros(0, dtype=np.int64)
        if base_row >= 0:
            rows = self.base.member_rows(base_row).astype(np.int64)
            rows = rows[self.base.specialists.matching(*key, rows)]
            rows = rows[~_among(rows, self._gone_rows())]
        added = specialists.added[self.overlay.specialists.institutes[specialists.added] == pk]
        return [(self._base, rows), (self._added, added)]

    def institutes_page(
        self,
        *,
        treatment_id: int | None,
        filters: SpecialistFilter = NO_FILTER,
        members_counted: bool = False,
        **search,
    ) -> Page:
        """Active institutes with a qualifying specialist offering the treatment and matching
        ``filters``, within ``radius`` of the institute's own address, found as
        ``specialists_page`` finds specialists (distance order: ties by name then id; name
        order: case-insensitive, then id). ``found`` holds ``(institute id, exact distance,
        matching specialist ids nearest first)``; with ``members_counted``, how many such
        specialists in place of their ids (no distance computed for each)."""
        origin = _Origin.of(**search)
        offset, limit = origin.offset, origin.limit
        key = (treatment_id, filters)
        found = self._institute_set(*key)
        specialists = self._specialist_set(*key)
        base_table, added_table = self.base.institutes, self.overlay.institutes
        extra_base = origin.inside(base_table, found.extra_base)
        extra_overlay = origin.inside(added_table, found.extra_overlay)
        if origin.sort == SORT_NAME:
            base_rows = _inside_points(found.points, base_table, origin)
            base_rows = base_rows[~_among(base_rows, found.skip)]
            entries, total = _name_page(
                origin,
                (
                    self._base_institutes,
                    np.concatenate([base_rows, extra_base]),
                    self.base.institute_name_rank,
                    self.base.institutes_by_name,
                ),
                [(self._added_institutes, extra_overlay)],
            )
        else:
            base_rows = _candidates(found.points, origin, want=offset + limit, skip=found.skip)
            entries = _ranked(
                [
                    (self._base_institutes, np.concatenate([base_rows, extra_base])),
                    (self._added_institutes, extra_overlay),
                ],
                origin,
            )[offset : offset + limit]
            total = 0
            if origin.count:
                total = (
                    self.base.counted(
                        ("institutes", *key, *origin.place),
                        lambda: _count_points(found.points, base_table, origin),
                    )
                    - len(origin.inside(base_table, found.skipped))
                    + len(extra_base)
                    + len(extra_overlay)
                )
        if members_counted:
            return Page(
                [
                    (
                        pk,
                        distance,
                        sum(
                            len(rows)
                            for _, rows in self._member_rows(source, row, specialists, key)
                        ),
                    )
                    for distance, pk, source, row in entries
                ],
                total,
            )
        return Page(
            [
                (pk, distance, self._members(source, row, specialists, origin, key))
                for distance, pk, source, row in entries
            ],
            total,
        )

    def institutes_nearest(self, **query) -> list[tuple[int, float, list[int]]]:
        """``(institute id, exact distance, qualifying specialist ids nearest first)`` of the
        ``limit`` nearest active institutes with a qualifying specialist, within ``radius``
        of the institute's own address; ties by name then id (``institutes_page``'s found,
        with its arguments, without counting the total). With ``members_counted``, the
        number of those specialists in place of their ids."""
        return self.institutes_page(count=False, **query).found

    # -- cards and choices ----------------------------------------------------------------

    def _institute_fragment(self, key: bytes) -> bytes | None:
        """An institute's part of its specialists' cards, by its id as a record holds it;
        None for one that no longer exists."""
        try:
            return self._fragments[key]
        except KeyError:
            pass
        pk, fragment, overlay = int(key), None, self.overlay
        row = overlay.institutes.position(pk)
        if row >= 0:
            fragment = overlay.institutes.fragments[row]
        else:
            row = self.base.institutes.position(pk)
            dead = overlay.dead_institutes
            if row >= 0 and not (len(dead) and _among(np.asarray([row]), dead)[0]):
                fragment = self.base.institutes.fragments[row]
        self._fragments[key] = fragment
        return fragment

    def _card(self, source: _Source, row: int) -> bytes:
        if self._card_parts is None:
            self._card_parts = self.catalog.card_parts()
        return source.table.card(
            row,
            on=self.on,
            parts=self._card_parts,
            institute=self._institute_fragment,
            url=_specialist_url(),
        )

    @property
    def languages_spoken(self) -> list[str]:
        """The ISO 639-1 codes at least one qualifying specialist speaks."""
        if self._languages is None:
            counts = Counter(self.base.language_counts)
            gone_rows = self._gone_rows()
            languages = self.base.specialists.languages
            for code in languages.codes:
                counts[code] -= int(languages.rows_with(code, gone_rows).sum())
            added = self.overlay.specialists
            live = np.flatnonzero(added.until >= self.on.toordinal())
            for code in added.languages.codes:
                counts[code] += int(added.languages.rows_with(code, live).sum())
            self._languages = sorted(code for code, number in counts.items() if number > 0)
        return self._languages


_urls: list[SpecialistUrl] = []


def _specialist_url() -> SpecialistUrl:
    if not _urls:
        _urls.append(SpecialistUrl())
    return _urls[0]


# --- Building a base ---------------------------------------------------------------------


def _directory_version() -> int:
    # Plain SQL, built from the model's own table name: this runs on the search path, and
    # the ORM would spend ten times the query's cost compiling it.
    table = connection.ops.quote_name(DirectoryVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT number FROM {table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0


def base_read(*, on: datetime.date) -> tuple[dict[str, np.ndarray], dict]:
    """A base's arrays and header read from the database: the specialists qualifying on
    ``on`` and every institute, at the directory version read first (later changes may be
    in it too; the change log past that version is applied after, which reads them again)."""
    version = _directory_version()
    # A version bumped by code that logged no row (one still running through a deploy)
    # gets one naming everything, so the snapshot can be checked like any other.
    change, _ = DirectoryChange.objects.get_or_create(
        version=version, defaults={"token": secrets.token_hex(8), "everything": True}
    )
    columns, header = base_columns(
        read=specialist_rows(on=on),
        institutes=institutes_read(),
        version=version,
        token=change.token,
        on=on,
    )
    if len(columns["spec.by_id"]) >= settings.MATCH_INDEX_PLACE_TOTALS_MIN_ROWS:
        columns.update(place_totals(Base(columns, header)))
    return columns, header


def place_totals(base: Base) -> dict[str, np.ndarray]:
    """The default search's total (DEFAULT_RADIUS in DEFAULT_UNIT, no filter) around every
    located ZIP, over the base's rows and over each treatment's, as the base's
    ``place_total`` reads them: every worker maps one table instead of counting (a ball
    count visits every point inside the radius: a sixth of a search at a million
    specialists) or remembering its own counts. Two ball counts per ZIP, for all ZIPs at
    once, and the exact recheck of ``_count_points`` where a point lies between them."""
    places = located_zip_places()
    latitudes = np.array([place.latitude for place in places], dtype=np.float64)
    longitudes = np.array([place.longitude for place in places], dtype=np.float64)
    order = np.lexsort((longitudes, latitudes))
    latitudes, longitudes = latitudes[order], longitudes[order]
    vectors = unit_vectors(latitudes, longitudes)
    inner, outer = _chord_bounds(distance_to_angle(DEFAULT_RADIUS, unit=DEFAULT_UNIT))
    table = {"totals.lat": latitudes, "totals.lon": longitudes}
    sets = [("all", None), *((f"t{pk}", pk) for pk in base.tree_treatments)]
    for name, treatment_id in sets:
        points = base.point_set(treatment_id, NO_FILTER)
        totals = np.zeros(len(latitudes), dtype=np.int32)
        if points.tree is not None:
            surely = points.tree.query_ball_point(vectors, inner, return_length=True, workers=-1)
            maybe = points.tree.query_ball_point(vectors, outer, return_length=True, workers=-1)
            totals[:] = surely
            for position in np.flatnonzero(surely != maybe).tolist():
                origin = _Origin.of(
                    latitude=latitudes.item(position),
                    longitude=longitudes.item(position),
                    radius=DEFAULT_RADIUS,
                    unit=DEFAULT_UNIT,
                    limit=1,
                )
                totals[position] = _count_points(points, base.specialists, origin)
        table[f"totals.{name}"] = totals
    return table


def _base_build(on: datetime.date) -> Base:
    """A base read from the database, in this process."""
    with MATCH_INDEX_BUILD_SECONDS.time():
        columns, header = base_read(on=on)
    MATCH_INDEX_BUILT.set_to_current_time()
    return Base(columns, header)


def snapshot_dir() -> Path | None:
    """Where this host keeps snapshot files (MATCH_INDEX_DIR), or None for none."""
    return Path(settings.MATCH_INDEX_DIR) if settings.MATCH_INDEX_DIR else None


def _database_tag() -> str:
    """Names this database in snapshot file names, so two databases sharing a directory
    (a laptop's site and a benchmark) never read each other's files."""
    import hashlib

    database = settings.DATABASES["default"]
    identity = (
        f"{database['ENGINE']}|{database.get('HOST')}|{database.get('PORT')}|{database['NAME']}"
    )
    return hashlib.sha256(identity.encode()).hexdigest()[:10]


def _snapshot_files(directory: Path) -> list[Path]:
    """This database's snapshot files, newest last."""
    return sorted(directory.glob(f"snapshot-{_database_tag()}-*{_SNAPSHOT_SUFFIX}"))


@contextlib.contextmanager
def _build_lock(directory: Path) -> Iterator[bool]:
    """Whether this process holds the host's build lock inside the block."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"build-{_database_tag()}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def snapshot_build(directory: Path) -> Path | None:
    """Read a base from the database and write it as this host's newest snapshot file;
    delete the older files and the change rows older than MATCH_INDEX_LOG_DAYS. Returns the
    file, or None when another process on the host is building one already."""
    with _build_lock(directory) as locked:
        if not locked:
            return None
        on = timezone.localdate()
        with MATCH_INDEX_BUILD_SECONDS.time():
            columns, header = base_read(on=on)
            path = directory / (
                f"snapshot-{_database_tag()}-{header['version']:015d}-{on:%Y%m%d}-"
                f"{time.time_ns()}{_SNAPSHOT_SUFFIX}"
            )
            snapshot_write(path, columns, header)
        MATCH_INDEX_BUILT.set_to_current_time()
        for older in _snapshot_files(directory):
            if older != path:
                older.unlink(missing_ok=True)
        days = settings.MATCH_INDEX_LOG_DAYS
        DirectoryChange.objects.filter(
            version__lt=header["version"],
            created_at__lt=timezone.now() - datetime.timedelta(days=days),
        ).delete()
    return path


def _snapshot_valid(path: Path, today: datetime.date) -> bool:
    """Whether a file is a snapshot of this database: its version's change row still
    carries the token it names, and its day has come."""
    try:
        header = snapshot_header(path)
    except (OSError, ValueError):
        return False
    return (
        header["token"] is not None
        and datetime.date.fromisoformat(header["on"]) <= today
        and DirectoryChange.objects.filter(
            version=header["version"], token=header["token"]
        ).exists()
    )


# --- This process's snapshot --------------------------------------------------------------


class _State:
    """This process's snapshot and what it waits for."""

    def __init__(self):
        self.lock = threading.Lock()
        self.current: DirectoryIndex | None = None
        self.checked_at = -math.inf  # time.monotonic() of the last recheck
        self.ready: Base | None = None  # a base a background thread finished
        self.worker: threading.Thread | None = None
        self.retry_at = 0.0  # after a failed build, no other before this
        self.file: Path | None = None  # the snapshot file the current base came from
        self.rejected: set[Path] = set()
        self.stuck: tuple[int, int] | None = (
            None  # (snapshot, database) versions the log can't bridge
        )


_state = _State()
_pinned: contextvars.ContextVar[DirectoryIndex | None] = contextvars.ContextVar(
    "pinned_directory_index", default=None
)


def _after_fork() -> None:
    # A worker forked from a process holding a snapshot keeps it (mapped pages stay
    # shared), but not the threads or locks of its parent.
    global _state
    current = _state.current
    _state = _State()
    _state.current = current


os.register_at_fork(after_in_child=_after_fork)


def _builder_process() -> subprocess.Popen:
    """``manage.py match_index_build`` in a process of its own: the build's peak memory and
    CPU stay out of the web process."""
    return subprocess.Popen(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "match_index_build"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )


def _newer_file(today: datetime.date) -> Base | None:
    """The newest valid snapshot file on this host, when newer than the current base's."""
    directory = snapshot_dir()
    if directory is None or not directory.is_dir():
        return None
    files = _snapshot_files(directory)
    if not files:
        return None
    newest = files[-1]
    if newest in _state.rejected or (_state.file is not None and newest <= _state.file):
        return None
    if not _snapshot_valid(newest, today):
        _state.rejected.add(newest)
        return None
    try:
        base = snapshot_open(newest)
    except FileNotFoundError:  # pruned by a newer build since the listing
        return None
    except Exception:
        logger.exception("snapshot file %s could not be read; a new one will be built", newest)
        _state.rejected.add(newest)
        return None
    _state.file = newest
    return base


def _first_base(today: datetime.date) -> Base:
    """A base for a process that has none: the newest valid file, else one built by the
    host's builder process (waiting for it), else one built here."""
    base = _newer_file(today)
    if base is not None:
        return base
    directory = snapshot_dir()
    if directory is not None and settings.MATCH_INDEX_BACKGROUND:
        process = _builder_process()
        deadline = time.monotonic() + _FIRST_BUILD_WAIT_SECONDS
        while time.monotonic() < deadline:
            base = _newer_file(today)
            if base is not None:
                return base
            if process.poll() is not None:
                with _build_lock(directory) as free:
                    if free and _newer_file(today) is None:
                        break  # nobody is building and nothing came: build here
            time.sleep(0.05)
        else:
            process.kill()
        logger.warning("no snapshot file came from the builder; building in this process")
    return _base_build(today)


def _rebuild(today: datetime.date) -> Base | None:
    """Have a new base built: inline without MATCH_INDEX_BACKGROUND (returned), else in the
    background (None; the next recheck adopts it)."""
    if not settings.MATCH_INDEX_BACKGROUND:
        return _base_build(today)
    worker = _state.worker
    if (worker is not None and worker.is_alive()) or time.monotonic() < _state.retry_at:
        return None
    directory = snapshot_dir()

    def build():
        try:
            if directory is not None:
                if _builder_process().wait() != 0:
                    raise RuntimeError("manage.py match_index_build failed")
            else:
                _state.ready = _base_build(today)
        except Exception:
            logger.exception("match index build failed")
            _state.retry_at = time.monotonic() + 30
        finally:
            connection.close()

    _state.worker = threading.Thread(target=build, name="match-index-build", daemon=True)
    _state.worker.start()
    return None


def _log_since(version: int) -> list[tuple]:
    """The change rows past ``version``, in order, as (version, specialist ids, institute
    ids, catalog, everything)."""
    # Plain SQL from the model's own names, as _directory_version: every process runs it
    # on every change, and compiling it through the ORM cost more than running it.
    fields = [
        DirectoryChange._meta.get_field(name)
        for name in ("version", "specialist_ids", "institute_ids", "catalog", "everything")
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    table = quote(DirectoryChange._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {table} WHERE {quote(fields[0].column)} > %s "
            f"ORDER BY {quote(fields[0].column)}",
            [version],
        )
        found = cursor.fetchall()
    return [
        (number, *(json.loads(ids) if isinstance(ids, str | bytes) else ids for ids in lists),
         bool(catalog), bool(everything))
        for number, *lists, catalog, everything in found
    ]  # fmt: skip


def _caught_up(index: DirectoryIndex, today: datetime.date) -> tuple[DirectoryIndex, int, bool]:
    """``index`` brought to today and to the database's version where the change log
    allows: (snapshot, database version, whether it needs a rebuild instead)."""
    number = _directory_version()
    if today > index.on:
        index = index.on_day(today)
    if number < index.version or today < index.on:
        return index, number, True  # a restored database, or a clock turned back
    if number == index.version:
        return index, number, False
    if _state.stuck == (index.version, number):
        return index, number, True
    changes = _log_since(index.version)
    versions = [change[0] for change in changes]
    if (
        versions != list(range(index.version + 1, index.version + 1 + len(changes)))
        or not changes
        or any(change[4] for change in changes)
        or sum(len(change[1]) + len(change[2]) for change in changes)
        > settings.MATCH_INDEX_DELTA_MAX
    ):
        _state.stuck = (index.version, number)
        return index, number, True
    with MATCH_INDEX_DELTA_SECONDS.time():
        index = index.applied(changes, on=today)
    return index, number, False


def _refresh(today: datetime.date) -> None:
    """Recheck under the lock: adopt a new base if one is ready, apply the change log,
    and have a rebuild started when the log cannot carry the snapshot further."""
    started = time.monotonic()
    current = _state.current
    base, _state.ready = _state.ready, None
    base = base or _newer_file(today)
    if current is None and base is None:
        base = _first_base(today)
    if base is not None:
        adopted, number, stale = _caught_up(
            DirectoryIndex.over(base, catalog=Catalog.read()), today
        )
        if current is None or adopted.version >= current.version or number < current.version:
            current = adopted
            _state.stuck = None
    current, number, stale = _caught_up(current, today)
    if stale or current.overlay_size > settings.MATCH_INDEX_OVERLAY_MAX:
        built = _rebuild(today)
        if built is not None:
            _state.stuck = None
            current, number, stale = _caught_up(
                DirectoryIndex.over(built, catalog=Catalog.read()), today
            )
    _state.current = current
    _state.checked_at = started
    if not stale:
        MATCH_INDEX_CURRENT.set_to_current_time()


def directory_index() -> DirectoryIndex:
    """The current snapshot, brought up to date first when it is due a recheck.

    Reads the directory version at most once per MATCH_INDEX_RECHECK_SECONDS per process
    (one query; a few more when it moved, to apply what changed), and the date on every
    call. Never waits for a build once the process has a snapshot: a thread meeting
    another's recheck answers from the snapshot it has.
    """
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    today = timezone.localdate()
    index = _state.current
    if (
        index is not None
        and index.on == today
        and time.monotonic() - _state.checked_at < settings.MATCH_INDEX_RECHECK_SECONDS
    ):
        return index
    state = _state
    if state.lock.acquire(blocking=index is None):
        try:
            _refresh(today)
        finally:
            state.lock.release()
    return _state.current


def pinned_index() -> DirectoryIndex | None:
    """The snapshot ``pinned_snapshot`` holds for this request, if any (no query)."""
    return _pinned.get()


@contextlib.contextmanager
def pinned_snapshot() -> Iterator[DirectoryIndex]:
    """Inside the block every search answers from one snapshot: a page that searches
    several times (results, institutes, filter choices) reads the directory version once
    and shows answers that agree with each other."""
    token = _pinned.set(directory_index())
    try:
        yield _pinned.get()
    finally:
        _pinned.reset(token)


def forget() -> None:
    """Drop this process's snapshot; the next search starts again (tests roll data back)."""
    global _state
    with _state.lock:
        _state = _State()
