"""The in-memory spatial index behind every nearest search.

Each process keeps one snapshot of the qualifying specialists (``Specialist.objects
.qualifying()``: active and currently board-certified) and the active institutes, as points
on the unit sphere in KD-trees. A search asks the tree for the K nearest points inside the
radius's chord, so it stops once it holds the K nearest instead of collecting everything
in the radius, then rechecks the few candidates with the exact great-circle formula.

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

import datetime
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

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
from specialists.models import DirectoryVersion, Institute, Specialist, Treatment

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


def _split_sorted(keys: np.ndarray, values: np.ndarray) -> dict[int, np.ndarray]:
    """``values`` grouped by ``keys``, which are sorted."""
    if not len(keys):
        return {}
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    return {int(keys[s]): values[s:e] for s, e in zip(starts, ends, strict=True)}


class _PointSet:
    """A KD-tree over some of the snapshot's points; ``rows`` maps tree positions back."""

    __slots__ = ("rows", "tree")

    def __init__(self, rows: np.ndarray, vectors: np.ndarray):
        self.rows = rows
        self.tree = cKDTree(vectors[rows]) if len(rows) else None

    def candidates(self, point: np.ndarray, *, limit: int, max_angle: float | None):
        """Rows that include the ``limit`` nearest within ``max_angle`` and every tie with the
        last of them; may include a few more, which the caller's exact ranking drops."""
        if self.tree is None:
            return self.rows[:0]
        total = self.tree.n
        bound = math.inf if max_angle is None else angle_to_chord(max_angle) * (1 + 1e-9) + 1e-12
        k = min(limit + 1, total)
        while True:
            chords, positions = self.tree.query(point, k=k, distance_upper_bound=bound)
            chords, positions = np.atleast_1d(chords), np.atleast_1d(positions)
            found = np.isfinite(chords)
            if k == total or not found[-1] or chords[-1] > chords[min(limit, k) - 1] + _CHORD_SLACK:
                return self.rows[positions[found]]
            k = min(2 * k, total)


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
    ):
        """``specialists``: qualifying (id, latitude, longitude, last name, institute id)
        ordered by id; ``links``: (treatment id, specialist id), unknown specialists ignored;
        ``institutes``: active (id, latitude, longitude, name) ordered by id; ``treatments``:
        the catalog, so a search names its treatment without another query."""
        self.version = version
        self.on = on
        self.treatments_by_slug = {treatment.slug: treatment for treatment in treatments}
        self._lock = threading.Lock()
        self._payload_lock = threading.Lock()
        self._payloads: dict[object, OrderedDict[int, object]] = {}
        self._specialist_sets: dict[int | None, _PointSet] = {}
        self._institute_sets: dict[int | None, tuple[_PointSet, dict[int, np.ndarray]]] = {}

        n = len(specialists)
        ids, latitudes, longitudes, last_names, institute_ids = (
            zip(*specialists, strict=True) if n else ((), (), (), (), ())
        )
        self.ids = np.fromiter(ids, dtype=np.int64, count=n)
        if np.any(self.ids[1:] <= self.ids[:-1]):
            raise ValueError("specialists must be ordered by id")
        # Plain lists: the exact recheck reads single values, faster from lists than arrays.
        self.latitudes = list(latitudes)
        self.longitudes = list(longitudes)
        self.last_names = list(last_names)
        self.vectors = unit_vectors(self.latitudes, self.longitudes)

        link_array = np.array(links, dtype=np.int64).reshape(-1, 2)
        link_rows = np.searchsorted(self.ids, link_array[:, 1])
        known = link_rows < n
        known[known] = self.ids[link_rows[known]] == link_array[known, 1]
        treatment_ids, link_rows = link_array[known, 0], link_rows[known]
        order = np.lexsort((link_rows, treatment_ids))
        self._treatment_rows = _split_sorted(treatment_ids[order], link_rows[order])

        self.institute_ids = np.fromiter((i[0] for i in institutes), np.int64, len(institutes))
        if np.any(self.institute_ids[1:] <= self.institute_ids[:-1]):
            raise ValueError("institutes must be ordered by id")
        self.institute_latitudes = [i[1] for i in institutes]
        self.institute_longitudes = [i[2] for i in institutes]
        self.institute_names = [i[3] for i in institutes]
        self.institute_vectors = unit_vectors(self.institute_latitudes, self.institute_longitudes)
        # Each specialist's position in the active-institute arrays, or -1.
        self.specialist_institute = np.full(n, -1, dtype=np.int64)
        if len(institutes):
            wanted = np.fromiter(
                (0 if i is None else i for i in institute_ids), dtype=np.int64, count=n
            )
            positions = np.searchsorted(self.institute_ids, wanted)
            inside = positions < len(institutes)
            inside[inside] = self.institute_ids[positions[inside]] == wanted[inside]
            self.specialist_institute[inside] = positions[inside]

    def __len__(self) -> int:
        return len(self.ids)

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

    def _specialist_set(self, treatment_id: int | None) -> _PointSet:
        point_set = self._specialist_sets.get(treatment_id)
        if point_set is None:
            with self._lock:
                point_set = self._specialist_sets.get(treatment_id)
                if point_set is None:
                    point_set = _PointSet(self._rows_for(treatment_id), self.vectors)
                    self._specialist_sets[treatment_id] = point_set
        return point_set

    def _institute_set(self, treatment_id: int | None):
        """Institutes with a qualifying specialist for the treatment, and those specialists."""
        entry = self._institute_sets.get(treatment_id)
        if entry is None:
            with self._lock:
                entry = self._institute_sets.get(treatment_id)
                if entry is None:
                    rows = self._rows_for(treatment_id)
                    rows = rows[self.specialist_institute[rows] >= 0]
                    owners = self.specialist_institute[rows]
                    order = np.argsort(owners, kind="stable")
                    members = _split_sorted(owners[order], rows[order])
                    present = np.fromiter(members, dtype=np.int64, count=len(members))
                    entry = (_PointSet(present, self.institute_vectors), members)
                    self._institute_sets[treatment_id] = entry
        return entry

    def _ranked_specialists(self, rows, latitude, longitude, unit):
        """(distance, last name, id, row) for ``rows``, nearest first: the contract's order."""
        lats, lons = self.latitudes, self.longitudes
        return sorted(
            (
                great_circle_distance(latitude, longitude, lats[row], lons[row], unit=unit),
                self.last_names[row],
                int(self.ids[row]),
            )
            for row in rows.tolist()
        )

    def specialists_nearest(
        self,
        *,
        latitude: float,
        longitude: float,
        treatment_id: int | None,
        radius: float | None,
        unit: str,
        limit: int,
    ) -> list[tuple[int, float]]:
        """``(id, exact distance)`` of the ``limit`` nearest qualifying specialists within
        ``radius`` (None: anywhere), nearest first, ties by last name then id."""
        point = unit_vectors([latitude], [longitude])[0]
        max_angle = None if radius is None else distance_to_angle(radius, unit=unit)
        rows = self._specialist_set(treatment_id).candidates(
            point, limit=limit, max_angle=max_angle
        )
        ranked = self._ranked_specialists(rows, latitude, longitude, unit)
        return [
            (specialist_id, distance)
            for distance, _, specialist_id in ranked
            if radius is None or distance <= radius
        ][:limit]

    def institutes_nearest(
        self,
        *,
        latitude: float,
        longitude: float,
        treatment_id: int | None,
        radius: float | None,
        unit: str,
        limit: int,
    ) -> list[tuple[int, float, list[int]]]:
        """``(institute id, exact distance, qualifying specialist ids nearest first)`` of the
        ``limit`` nearest active institutes with a qualifying specialist, within ``radius``
        of the institute's own address; ties by name then id."""
        point = unit_vectors([latitude], [longitude])[0]
        max_angle = None if radius is None else distance_to_angle(radius, unit=unit)
        point_set, members = self._institute_set(treatment_id)
        positions = point_set.candidates(point, limit=limit, max_angle=max_angle)
        ranked = sorted(
            (
                great_circle_distance(
                    latitude,
                    longitude,
                    self.institute_latitudes[position],
                    self.institute_longitudes[position],
                    unit=unit,
                ),
                self.institute_names[position],
                int(self.institute_ids[position]),
                position,
            )
            for position in positions.tolist()
        )
        return [
            (
                institute_id,
                distance,
                [
                    specialist_id
                    for _, _, specialist_id in self._ranked_specialists(
                        members[position], latitude, longitude, unit
                    )
                ],
            )
            for distance, _, institute_id, position in ranked
            if radius is None or distance <= radius
        ][:limit]


_lock = threading.Lock()
_current: DirectoryIndex | None = None
_checked_at = -math.inf  # time.monotonic() of the last version read that found it current


def _load(*, version: int, on: datetime.date) -> DirectoryIndex:
    """Read the snapshot from the database: four queries, whatever the directory's size."""
    return DirectoryIndex(
        version=version,
        on=on,
        specialists=list(
            Specialist.objects.qualifying(on=on)
            .order_by("id")
            .values_list("id", "latitude", "longitude", "last_name", "institute_id")
        ),
        links=list(
            Specialist.treatments.through.objects.values_list("treatment_id", "specialist_id")
        ),
        institutes=list(
            Institute.objects.filter(active=True)
            .order_by("id")
            .values_list("id", "latitude", "longitude", "name")
        ),
        treatments=list(Treatment.objects.all()),
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


def forget() -> None:
    """Drop this process's snapshot; the next search rebuilds it (tests roll data back)."""
    global _current, _checked_at
    with _lock:
        _current = None
        _checked_at = -math.inf
