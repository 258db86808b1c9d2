"""The in-memory spatial index behind every nearest search.

Each process keeps one snapshot of the qualifying specialists (``Specialist.objects
.qualifying()``: active and currently board-certified) and the active institutes, as points
on the unit sphere in KD-trees. A search asks the tree for the K nearest points inside the
radius's chord, so it stops once it holds the K nearest instead of collecting everything
in the radius, then rechecks the few candidates with the exact great-circle formula.

Filters (treatment, and the listing facts of ``SpecialistFilter``) never post-filter the K
nearest: the snapshot keeps each fact as a per-row array (booleans, small codes, bitsets for
languages and insurance plans), and a filter combination gets its own KD-tree over exactly
the matching rows, built on first use and kept in a bounded least-recently-used cache. A
rare filter therefore still answers with the true nearest. A page at ``offset`` asks that
tree for ``offset + limit`` points; the total in the radius is the tree's ball count; a
search sorted by name takes every point in the radius and orders them by a name rank the
snapshot computes once.

Freshness: a search reads ``DirectoryVersion.number`` (one primary-key query in plain SQL)
when the process last read it more than MATCH_INDEX_RECHECK_SECONDS ago (setting; 1 s by
default, 0 reads it on every search), and the local date every time. The snapshot is
rebuilt when either moved: listing changes bump the version, and certifications lapse at
midnight without any write. So a process answers from the data before a committed change
for at most that second. Whatever is cached with a snapshot (the treatment catalog, the
result cards) goes with it.

The version is a counter, so a rolled-back transaction that bumped it can leave the same
number pointing at different data. Production never builds inside such a transaction
(requests are not atomic); tests roll back after each test, so they call ``forget()`` and
set MATCH_INDEX_RECHECK_SECONDS to 0.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import timezone
from scipy.spatial import cKDTree

from core.metrics import MATCH_INDEX_BUILD_SECONDS, MATCH_INDEX_BUILT
from geo.distance import (
    angle_to_chord,
    distance_to_angle,
    great_circle_distance,
    unit_vectors,
)
from specialists.facts import Gender, SpecialtyGroup, language_codes, specialty_group
from specialists.models import DirectoryVersion, Institute, InsurancePlan, Specialist, Treatment

# How long a process trusts its snapshot before reading the directory version again.
# Searches then cost no query at all, and answer at most this long after a committed
# change from the data before it.
DEFAULT_RECHECK_SECONDS = 1.0

# Rendered payloads kept per snapshot and kind (see DirectoryIndex.payloads): enough for
# every specialist near the places people search from, a few tens of MB at most.
PAYLOAD_CACHE_SIZE = 20_000

# Chord slack (unit sphere, about 6 mm on Earth) that covers float rounding between the
# tree's Euclidean chord and the haversine recheck, so ties are never cut arbitrarily.
_CHORD_SLACK = 1e-9
_ANY = None

# Points the cached filtered trees may hold together, as a multiple of the snapshot's
# specialists (at least FILTERED_POINTS_FLOOR): a few broad filters, or many narrow ones.
FILTERED_POINTS_BUDGET = 2
FILTERED_POINTS_FLOOR = 200_000

SORT_DISTANCE = "distance"
SORT_NAME = "name"
SORTS = (SORT_DISTANCE, SORT_NAME)

_GENDER_CODES = {choice.value: position for position, choice in enumerate(Gender, start=1)}
_GROUP_CODES = {choice.value: position for position, choice in enumerate(SpecialtyGroup, start=1)}


@dataclass(frozen=True, slots=True)
class SpecialistFilter:
    """What a search narrows the qualifying specialists to beside the treatment; the default
    narrows nothing. ``language`` is an ISO 639-1 code, ``gender`` a ``Gender`` value,
    ``insurance_id`` an InsurancePlan's id and ``specialty`` a ``SpecialtyGroup`` value."""

    accepting: bool = False
    telehealth: bool = False
    language: str | None = None
    gender: str | None = None
    insurance_id: int | None = None
    specialty: str | None = None


NO_FILTER = SpecialistFilter()


@dataclass(frozen=True, slots=True)
class SpecialistFacts:
    """One specialist's listing facts, in the snapshot's input order."""

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


def _split_sorted(keys: np.ndarray, values: np.ndarray) -> dict[int, np.ndarray]:
    """``values`` grouped by ``keys``, which are sorted."""
    if not len(keys):
        return {}
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    return {int(keys[s]): values[s:e] for s, e in zip(starts, ends, strict=True)}


def _chord_bounds(max_angle: float) -> tuple[float, float]:
    """Chords that surely lie inside and surely cover ``max_angle``; points between the two
    are decided by the exact great-circle formula."""
    chord = angle_to_chord(max_angle)
    return max(0.0, chord * (1 - 1e-9) - 1e-12), chord * (1 + 1e-9) + 1e-12


class _PointSet:
    """A KD-tree over some of the snapshot's points; ``rows`` maps tree positions back."""

    __slots__ = ("rows", "tree")

    def __init__(self, rows: np.ndarray, vectors: np.ndarray):
        self.rows = rows
        self.tree = cKDTree(vectors[rows]) if len(rows) else None

    def __len__(self) -> int:
        return len(self.rows)

    def candidates(self, point: np.ndarray, *, limit: int, max_angle: float | None):
        """Rows that include the ``limit`` nearest within ``max_angle`` and every tie with the
        last of them; may include a few more, which the caller's exact ranking drops."""
        if self.tree is None:
            return self.rows[:0]
        total = self.tree.n
        bound = math.inf if max_angle is None else _chord_bounds(max_angle)[1]
        k = min(limit + 1, total)
        while True:
            chords, positions = self.tree.query(point, k=k, distance_upper_bound=bound)
            chords, positions = np.atleast_1d(chords), np.atleast_1d(positions)
            found = np.isfinite(chords)
            if k == total or not found[-1] or chords[-1] > chords[min(limit, k) - 1] + _CHORD_SLACK:
                return self.rows[positions[found]]
            k = min(2 * k, total)

    def within(self, point: np.ndarray, max_angle: float) -> tuple[np.ndarray, np.ndarray]:
        """Rows that may lie within ``max_angle``, and for each whether it surely does."""
        if self.tree is None:
            return self.rows[:0], np.zeros(0, dtype=bool)
        inner, outer = _chord_bounds(max_angle)
        positions = np.asarray(self.tree.query_ball_point(point, outer), dtype=np.int64)
        chords = np.linalg.norm(self.tree.data[positions] - point, axis=1)
        return self.rows[positions], chords <= inner

    def count(self, point: np.ndarray, max_angle: float) -> tuple[int, int]:
        """How many points surely lie within ``max_angle``, and how many may."""
        if self.tree is None:
            return 0, 0
        inner, outer = _chord_bounds(max_angle)
        return (
            int(self.tree.query_ball_point(point, inner, return_length=True)),
            int(self.tree.query_ball_point(point, outer, return_length=True)),
        )


class _CodeSets:
    """Which codes (languages, insurance plans) each row holds, as bitsets: one uint64 word
    per 64 distinct codes."""

    def __init__(self, rows: int, codes: Sequence):
        self.positions = {code: position for position, code in enumerate(codes)}
        self.bits = np.zeros((rows, max(1, -(-len(codes) // 64))), dtype=np.uint64)

    @classmethod
    def from_links(cls, rows: int, link_rows: np.ndarray, link_codes: np.ndarray) -> _CodeSets:
        """From (row, code) pairs."""
        sets = cls(rows, sorted(set(link_codes.tolist())))
        if len(link_rows):
            positions = np.fromiter(
                (sets.positions[code] for code in link_codes.tolist()), np.int64, len(link_codes)
            )
            words, bits = positions // 64, (positions % 64).astype(np.uint64)
            np.bitwise_or.at(sets.bits, (link_rows, words), np.left_shift(np.uint64(1), bits))
        return sets

    def rows_with(self, code) -> np.ndarray:
        """A mask of the rows holding ``code``."""
        position = self.positions.get(code)
        if position is None:
            return np.zeros(len(self.bits), dtype=bool)
        word, bit = divmod(position, 64)
        return (self.bits[:, word] >> np.uint64(bit)) & np.uint64(1) == 1

    @property
    def codes(self) -> list:
        return list(self.positions)


class _Places:
    """Points of one kind (specialists or institutes) and the exact order among them: by
    great-circle distance, then ``names`` (last name; an institute's name), then id."""

    def __init__(self, *, ids, latitudes, longitudes, names, sort_names):
        self.ids = ids
        # Plain lists: the exact recheck reads single values, faster from lists than arrays.
        self.latitudes = latitudes
        self.longitudes = longitudes
        self.names = names
        self.vectors = unit_vectors(latitudes, longitudes)
        self._sort_names = sort_names
        self._name_rank: np.ndarray | None = None
        self._lock = threading.Lock()

    def distance(self, row: int, latitude: float, longitude: float, unit: str) -> float:
        return great_circle_distance(
            latitude, longitude, self.latitudes[row], self.longitudes[row], unit=unit
        )

    def ranked(self, rows: np.ndarray, latitude: float, longitude: float, unit: str):
        """(distance, name, id, row) for ``rows``, nearest first: the contract's order."""
        names, ids = self.names, self.ids
        return sorted(
            (self.distance(row, latitude, longitude, unit), names[row], int(ids[row]), row)
            for row in rows.tolist()
        )

    @property
    def name_rank(self) -> np.ndarray:
        """Each row's position when ordered by name (``sort_names``: case-insensitive key
        parts, compared in turn), then id; computed on the first search sorted by name."""
        if self._name_rank is None:
            with self._lock:
                if self._name_rank is None:
                    keys = [self._codes(part) for part in reversed(self._sort_names())]
                    order = np.lexsort((self.ids, *keys))
                    rank = np.empty(len(order), dtype=np.int64)
                    rank[order] = np.arange(len(order))
                    self._name_rank = rank
        return self._name_rank

    @staticmethod
    def _codes(values: list[str]) -> np.ndarray:
        """Each value's rank among the distinct values, casefolded."""
        folded = [value.casefold() for value in values]
        rank = {value: position for position, value in enumerate(sorted(set(folded)))}
        return np.fromiter((rank[value] for value in folded), np.int64, len(folded))

    def page(
        self,
        point_set: _PointSet,
        *,
        latitude: float,
        longitude: float,
        radius: float | None,
        unit: str,
        limit: int,
        offset: int = 0,
        sort: str = SORT_DISTANCE,
        count: bool = True,
    ) -> Page:
        """Rows ``offset`` to ``offset + limit`` of ``point_set`` within ``radius`` (None:
        anywhere) in ``sort`` order, each as (distance, name, id, row), and how many there
        are (0 unless ``count``)."""
        point = unit_vectors([latitude], [longitude])[0]
        max_angle = None if radius is None else distance_to_angle(radius, unit=unit)
        if sort == SORT_NAME:
            names, ids = self.names, self.ids
            rows = self._inside(point_set, point, max_angle, latitude, longitude, radius, unit)
            ranks = self.name_rank[rows]
            end = min(offset + limit, len(rows))
            if end <= offset:
                return Page([], len(rows))
            chosen = rows[np.argpartition(ranks, end - 1)[:end]] if end < len(rows) else rows
            chosen = chosen[np.argsort(self.name_rank[chosen])][offset:end]
            found = [
                (self.distance(row, latitude, longitude, unit), names[row], int(ids[row]), row)
                for row in chosen.tolist()
            ]
            return Page(found, len(rows))
        rows = point_set.candidates(point, limit=offset + limit, max_angle=max_angle)
        ranked = [
            entry
            for entry in self.ranked(rows, latitude, longitude, unit)
            if radius is None or entry[0] <= radius
        ]
        total = 0
        if count:
            total = (
                len(point_set)
                if max_angle is None
                else self._count(point_set, point, max_angle, latitude, longitude, radius, unit)
            )
        return Page(ranked[offset : offset + limit], total)

    def _inside(self, point_set, point, max_angle, latitude, longitude, radius, unit):
        if max_angle is None:
            return point_set.rows
        rows, sure = point_set.within(point, max_angle)
        unsure = np.flatnonzero(~sure)
        keep = sure.copy()
        keep[unsure] = [
            self.distance(row, latitude, longitude, unit) <= radius for row in rows[unsure].tolist()
        ]
        return rows[keep]

    def _count(self, point_set, point, max_angle, latitude, longitude, radius, unit) -> int:
        surely, maybe = point_set.count(point, max_angle)
        if surely == maybe:
            return surely
        return len(self._inside(point_set, point, max_angle, latitude, longitude, radius, unit))


class DirectoryIndex:
    """An immutable snapshot of the directory for one version and one date."""

    def __init__(
        self,
        *,
        version: int,
        on: datetime.date,
        specialists: list[tuple[int, float, float, str, int | None]],
        links: list[tuple[int, int]],
        institutes: list[tuple[int, float, float, str]],
        treatments: Iterable[Treatment] = (),
        facts: Sequence[SpecialistFacts] | None = None,
        insurance_links: list[tuple[int, int]] = (),
        insurance_plans: Iterable[InsurancePlan] = (),
    ):
        """``specialists``: qualifying (id, latitude, longitude, last name, institute id)
        ordered by id; ``links``: (treatment id, specialist id), unknown specialists ignored;
        ``institutes``: active (id, latitude, longitude, name) ordered by id; ``treatments``:
        the catalog, so a search names its treatment without another query; ``facts``: each
        specialist's listing facts in the same order (default: accepting new patients and
        nothing else known); ``insurance_links``: (plan id, specialist id);
        ``insurance_plans``: that catalog, as ``treatments``."""
        self.version = version
        self.on = on
        self.treatments_by_slug = {treatment.slug: treatment for treatment in treatments}
        self.insurance_by_slug = {plan.slug: plan for plan in insurance_plans}
        self._lock = threading.Lock()
        self._payload_lock = threading.Lock()
        self._payloads: dict[object, OrderedDict[int, object]] = {}
        self._specialist_sets: dict[int | None, _PointSet] = {}
        self._filtered_sets: OrderedDict[tuple, _PointSet] = OrderedDict()
        self._filtered_points = 0
        self._institute_sets: dict[tuple, tuple[_PointSet, dict[int, np.ndarray]]] = {}

        n = len(specialists)
        ids, latitudes, longitudes, last_names, institute_ids = (
            zip(*specialists, strict=True) if n else ((), (), (), (), ())
        )
        ids = np.fromiter(ids, dtype=np.int64, count=n)
        if np.any(ids[1:] <= ids[:-1]):
            raise ValueError("specialists must be ordered by id")
        facts = list(facts) if facts is not None else [SpecialistFacts()] * n
        if len(facts) != n:
            raise ValueError("facts must follow the specialists one for one")
        self._specialists = _Places(
            ids=ids,
            latitudes=list(latitudes),
            longitudes=list(longitudes),
            names=list(last_names),
            sort_names=lambda: (list(last_names), [fact.first_name for fact in facts]),
        )
        self.ids = ids
        self._facts_index(facts, insurance_links)

        link_rows, treatment_ids = self._link_rows(links)
        order = np.lexsort((link_rows, treatment_ids))
        self._treatment_rows = _split_sorted(treatment_ids[order], link_rows[order])

        institute_ids_array = np.fromiter((i[0] for i in institutes), np.int64, len(institutes))
        if np.any(institute_ids_array[1:] <= institute_ids_array[:-1]):
            raise ValueError("institutes must be ordered by id")
        institute_names = [i[3] for i in institutes]
        self._institutes = _Places(
            ids=institute_ids_array,
            latitudes=[i[1] for i in institutes],
            longitudes=[i[2] for i in institutes],
            names=institute_names,
            sort_names=lambda: (institute_names,),
        )
        # Each specialist's position in the active-institute arrays, or -1.
        self.specialist_institute = np.full(n, -1, dtype=np.int64)
        if len(institutes):
            wanted = np.fromiter(
                (0 if i is None else i for i in institute_ids), dtype=np.int64, count=n
            )
            positions = np.searchsorted(institute_ids_array, wanted)
            inside = positions < len(institutes)
            inside[inside] = institute_ids_array[positions[inside]] == wanted[inside]
            self.specialist_institute[inside] = positions[inside]

    def _link_rows(self, links) -> tuple[np.ndarray, np.ndarray]:
        """(specialist row, other id) for each (other id, specialist id) pair of a known
        specialist."""
        ids, n = self.ids, len(self.ids)
        link_array = np.array(links, dtype=np.int64).reshape(-1, 2)
        link_rows = np.searchsorted(ids, link_array[:, 1])
        known = link_rows < n
        known[known] = ids[link_rows[known]] == link_array[known, 1]
        return link_rows[known], link_array[known, 0]

    def _facts_index(self, facts: list[SpecialistFacts], insurance_links) -> None:
        """The per-row arrays filters read."""
        n = len(facts)
        self._accepting = np.fromiter((f.accepting for f in facts), dtype=bool, count=n)
        self._telehealth = np.fromiter((f.telehealth for f in facts), dtype=bool, count=n)
        self._genders = np.fromiter(
            (_GENDER_CODES.get(f.gender, 0) for f in facts), dtype=np.int8, count=n
        )
        groups: dict[str, int] = {}
        for fact in facts:
            if fact.specialty not in groups:
                group = specialty_group(fact.specialty)
                groups[fact.specialty] = _GROUP_CODES[group.value] if group else 0
        self._groups = np.fromiter((groups[f.specialty] for f in facts), dtype=np.int8, count=n)
        # Languages come as "en;es" per row: few distinct values, so each is split once.
        spoken: dict[str, list[str]] = {}
        pairs = [
            (row, code)
            for row, fact in enumerate(facts)
            for code in spoken.setdefault(fact.languages, language_codes(fact.languages))
        ]
        rows = np.fromiter((row for row, _ in pairs), np.int64, len(pairs))
        self._languages = _CodeSets.from_links(n, rows, np.array([c for _, c in pairs], object))
        plan_rows, plan_ids = self._link_rows(insurance_links)
        self._insurance = _CodeSets.from_links(n, plan_rows, plan_ids)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def languages_spoken(self) -> list[str]:
        """The ISO 639-1 codes at least one qualifying specialist speaks."""
        return sorted(self._languages.codes)

    def payloads(
        self, kind: object, ids: list[int], build: Callable[[list[int]], dict[int, object]]
    ) -> dict[int, object]:
        """``{id: payload}`` for ``ids``, calling ``build`` once with the ids not yet cached.

        Payloads (for example a specialist's rendered result card) live as long as this
        snapshot, so any directory change or a new day discards them; the least recently
        used are dropped beyond PAYLOAD_CACHE_SIZE per ``kind``. Callers must not mutate them.
        """
        found = {}
        with self._payload_lock:
            cache = self._payloads.setdefault(kind, OrderedDict())
            for pk in ids:
                payload = cache.get(pk)
                if payload is not None:
                    cache.move_to_end(pk)
                    found[pk] = payload
        missing = [pk for pk in ids if pk not in found]
        if missing:
            built = build(missing)
            with self._payload_lock:
                for pk, payload in built.items():
                    cache[pk] = payload
                while len(cache) > PAYLOAD_CACHE_SIZE:
                    cache.popitem(last=False)
            found.update(built)
        return found

    def _rows_for(self, treatment_id: int | None) -> np.ndarray:
        if treatment_id is _ANY:
            return np.arange(len(self.ids))
        return self._treatment_rows.get(treatment_id, np.zeros(0, dtype=np.int64))

    def _filtered_rows(self, treatment_id: int | None, filters: SpecialistFilter) -> np.ndarray:
        """The rows offering the treatment that match every fact ``filters`` asks for."""
        rows = self._rows_for(treatment_id)
        if filters == NO_FILTER:
            return rows
        mask = np.ones(len(self.ids), dtype=bool)
        if filters.accepting:
            mask &= self._accepting
        if filters.telehealth:
            mask &= self._telehealth
        if filters.language is not None:
            mask &= self._languages.rows_with(filters.language)
        if filters.gender is not None:
            mask &= self._genders == _GENDER_CODES.get(filters.gender, -1)
        if filters.insurance_id is not None:
            mask &= self._insurance.rows_with(filters.insurance_id)
        if filters.specialty is not None:
            mask &= self._groups == _GROUP_CODES.get(filters.specialty, -1)
        return rows[mask[rows]]

    def _specialist_set(
        self, treatment_id: int | None, filters: SpecialistFilter = NO_FILTER
    ) -> _PointSet:
        """The tree for a treatment (kept for the snapshot's life) or for a filter combination
        (kept while it is among the most recently used within the points budget)."""
        if filters == NO_FILTER:
            point_set = self._specialist_sets.get(treatment_id)
            if point_set is None:
                with self._lock:
                    point_set = self._specialist_sets.get(treatment_id)
                    if point_set is None:
                        rows = self._rows_for(treatment_id)
                        point_set = _PointSet(rows, self._specialists.vectors)
                        self._specialist_sets[treatment_id] = point_set
            return point_set
        key = (treatment_id, filters)
        with self._lock:
            point_set = self._filtered_sets.get(key)
            if point_set is not None:
                self._filtered_sets.move_to_end(key)
                return point_set
        # Built outside the lock, so searches with cached filters never wait for it; two
        # threads meeting a new combination at once may both build it, and one tree wins.
        point_set = _PointSet(self._filtered_rows(treatment_id, filters), self._specialists.vectors)
        with self._lock:
            if key in self._filtered_sets:
                return self._filtered_sets[key]
            self._filtered_sets[key] = point_set
            self._filtered_points += len(point_set)
            budget = max(FILTERED_POINTS_BUDGET * len(self.ids), FILTERED_POINTS_FLOOR)
            while self._filtered_points > budget and len(self._filtered_sets) > 1:
                _, dropped = self._filtered_sets.popitem(last=False)
                self._filtered_points -= len(dropped)
        return point_set

    def _institute_set(self, treatment_id: int | None, filters: SpecialistFilter = NO_FILTER):
        """Institutes with a matching qualifying specialist, and those specialists."""
        key = (treatment_id, filters)
        entry = self._institute_sets.get(key)
        if entry is None:
            with self._lock:
                entry = self._institute_sets.get(key)
                if entry is None:
                    rows = self._filtered_rows(treatment_id, filters)
                    rows = rows[self.specialist_institute[rows] >= 0]
                    owners = self.specialist_institute[rows]
                    order = np.argsort(owners, kind="stable")
                    members = _split_sorted(owners[order], rows[order])
                    present = np.fromiter(members, dtype=np.int64, count=len(members))
                    entry = (_PointSet(present, self._institutes.vectors), members)
                    if len(self._institute_sets) >= 64:
                        self._institute_sets.pop(next(iter(self._institute_sets)))
                    self._institute_sets[key] = entry
        return entry

    def specialists_page(
        self, *, treatment_id: int | None, filters: SpecialistFilter = NO_FILTER, **search
    ) -> Page:
        """Qualifying specialists offering the treatment and matching ``filters``, as
        ``_Places.page`` finds them with ``search`` (``latitude``, ``longitude``, ``radius``
        (None: anywhere), ``unit``, ``limit``, and optionally ``offset``, ``sort`` and
        ``count``): ``found`` holds the ``(id, exact distance)`` of the page.

        Distance order: nearest first, ties by last name then id. Name order: by last name,
        then first name (case-insensitive), then id.
        """
        page = self._specialists.page(self._specialist_set(treatment_id, filters), **search)
        return Page([(pk, distance) for distance, _, pk, _ in page.found], page.total)

    def specialists_nearest(self, **query) -> list[tuple[int, float]]:
        """``(id, exact distance)`` of the ``limit`` nearest qualifying specialists within
        ``radius`` (None: anywhere), nearest first, ties by last name then id:
        ``specialists_page``'s found, with its arguments, without counting the total."""
        return self.specialists_page(count=False, **query).found

    def institutes_page(
        self, *, treatment_id: int | None, filters: SpecialistFilter = NO_FILTER, **search
    ) -> Page:
        """Active institutes with a qualifying specialist offering the treatment and matching
        ``filters``, within ``radius`` of the institute's own address, as ``_Places.page``
        finds them with ``search`` (distance order: ties by name then id; name order:
        case-insensitive, then id). ``found`` holds ``(institute id, exact distance,
        matching specialist ids nearest first)``."""
        point_set, members = self._institute_set(treatment_id, filters)
        page = self._institutes.page(point_set, **search)
        specialists = self._specialists
        latitude, longitude, unit = search["latitude"], search["longitude"], search["unit"]
        return Page(
            [
                (
                    institute_id,
                    distance,
                    [
                        specialist_id
                        for _, _, specialist_id, _ in specialists.ranked(
                            members[position], latitude, longitude, unit
                        )
                    ],
                )
                for distance, _, institute_id, position in page.found
            ],
            page.total,
        )

    def institutes_nearest(self, **query) -> list[tuple[int, float, list[int]]]:
        """``(institute id, exact distance, qualifying specialist ids nearest first)`` of the
        ``limit`` nearest active institutes with a qualifying specialist, within ``radius``
        of the institute's own address; ties by name then id (``institutes_page``'s found,
        with its arguments, without counting the total)."""
        return self.institutes_page(count=False, **query).found

_lock = threading.Lock()
_pinned: contextvars.ContextVar[DirectoryIndex | None] = contextvars.ContextVar(
    "pinned_directory_index", default=None
)
_current: DirectoryIndex | None = None
_checked_at = -math.inf  # time.monotonic() of the last version read that found it current


def _load(*, version: int, on: datetime.date) -> DirectoryIndex:
    """Read the snapshot from the database: six queries, whatever the directory's size."""
    rows = list(
        Specialist.objects.qualifying(on=on)
        .order_by("id")
        .values_list(
            "id",
            "latitude",
            "longitude",
            "last_name",
            "institute_id",
            "first_name",
            "accepting_new_patients",
            "telehealth",
            "gender",
            "specialty",
            "languages",
        )
    )
    return DirectoryIndex(
        version=version,
        on=on,
        specialists=[row[:5] for row in rows],
        facts=[SpecialistFacts(*row[5:]) for row in rows],
        links=list(
            Specialist.treatments.through.objects.values_list("treatment_id", "specialist_id")
        ),
        insurance_links=list(
            Specialist.insurance.through.objects.values_list("insuranceplan_id", "specialist_id")
        ),
        institutes=list(
            Institute.objects.filter(active=True)
            .order_by("id")
            .values_list("id", "latitude", "longitude", "name")
        ),
        treatments=list(Treatment.objects.all()),
        insurance_plans=list(InsurancePlan.objects.all()),
    )


def _directory_version() -> int:
    # Plain SQL, built from the model's own table name: this runs on the search path, and
    # the ORM would spend ten times the query's cost compiling it.
    table = connection.ops.quote_name(DirectoryVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT number FROM {table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0


def _recheck_seconds() -> float:
    return getattr(settings, "MATCH_INDEX_RECHECK_SECONDS", DEFAULT_RECHECK_SECONDS)


def directory_index() -> DirectoryIndex:
    """The current snapshot, rebuilt first if the directory or the date changed.

    Reads the directory version at most once per MATCH_INDEX_RECHECK_SECONDS per process
    (one query), and the date on every call. Safe under threads: one thread rebuilds while
    the others wait for it rather than answering from stale data.
    """
    global _current, _checked_at
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    today = timezone.localdate()
    index = _current
    if (
        index is not None
        and index.on == today
        and time.monotonic() - _checked_at < _recheck_seconds()
    ):
        return index
    checked_at = time.monotonic()
    version = _directory_version()
    if index is not None and index.version == version and index.on == today:
        _checked_at = checked_at
        return index
    with _lock:
        # Another thread may have rebuilt while this one waited; re-read before building.
        checked_at = time.monotonic()
        version, today = _directory_version(), timezone.localdate()
        index = _current
        if index is None or index.version != version or index.on != today:
            with MATCH_INDEX_BUILD_SECONDS.time():
                index = _load(version=version, on=today)
            MATCH_INDEX_BUILT.set_to_current_time()
            _current = index
        _checked_at = checked_at
    return index


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
    """Drop this process's snapshot; the next search rebuilds it (tests roll data back)."""
    global _current, _checked_at
    with _lock:
        _current = None
        _checked_at = -math.inf
