"""The index's immutable base: every specialist qualifying on one day, in spatial order,
with its KD-trees, and every institute; as named numpy arrays, in memory or mapped
read-only from a snapshot file that one process writes and every process on the host maps.

File layout (``FORMAT``): a magic string, the length of a JSON header, the header (the
snapshot's version, the token of that version's ``DirectoryChange`` row, its date, code
lists, and each array's dtype, shape and offset), then the arrays, each 64-byte aligned.
The KD-trees are stored as their pickles with out-of-band buffers (PEP 574), so mapping
the file gives trees whose points and indices are the file's pages: opening a snapshot of
1,000,000 specialists costs milliseconds and each process only copies the trees' nodes.
A file is written under another name and renamed into place, so a reader never sees half
of one; old files stay readable by processes that still map them until those let go.
"""

from __future__ import annotations

import datetime
import io
import json
import mmap
import os
import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy
from scipy.spatial import cKDTree

from geo.distance import unit_vectors

from .tables import NO_FILTER, InstituteTable, SpecialistRows, SpecialistTable

FORMAT = 1
# The trees' pickles are SciPy's own state: a file is read only by the versions that wrote it.
_LIBRARIES = {"numpy": np.__version__, "scipy": scipy.__version__}
_MAGIC = b"SPINEIDX"
_ALIGN = 64
# Points per KD-tree leaf: twice SciPy's default halves the nodes each process copies, for
# a search a few microseconds slower.
LEAF_SIZE = 32

# Points the cached filtered trees may hold together, as a multiple of the base's
# specialists (at least FILTERED_POINTS_FLOOR): a few broad filters, or many narrow ones.
FILTERED_POINTS_BUDGET = 1
FILTERED_POINTS_FLOOR = 200_000
_INSTITUTE_SETS_KEPT = 32
# Totals a base remembers (about 200 bytes each): the searches of every ZIP of a busy
# region, for a few MB.
COUNTS_KEPT = 16_384


class _Unpickler(pickle.Unpickler):
    """Unpickles KD-trees and numpy arrays and nothing else, whatever the file holds."""

    _ALLOWED = {
        ("scipy.spatial._ckdtree", "cKDTree"),
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy.core.numeric", "_frombuffer"),
    }

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a snapshot")
        return super().find_class(module, name)


def _tree_columns(name: str, tree: cKDTree) -> dict[str, np.ndarray]:
    buffers: list[pickle.PickleBuffer] = []
    state = pickle.dumps(tree, protocol=5, buffer_callback=buffers.append)
    columns = {f"tree.{name}": np.frombuffer(state, dtype=np.uint8)}
    for position, buffer in enumerate(buffers):
        columns[f"tree.{name}.{position}"] = np.frombuffer(buffer.raw(), dtype=np.uint8)
    return columns


def _tree_load(columns: dict[str, np.ndarray], name: str) -> cKDTree | None:
    if f"tree.{name}" not in columns:
        return None
    buffers = []
    while f"tree.{name}.{len(buffers)}" in columns:
        buffers.append(columns[f"tree.{name}.{len(buffers)}"])
    state = columns[f"tree.{name}"]
    return _Unpickler(io.BytesIO(state.tobytes()), buffers=buffers).load()


def lower_bound(key, count: int, wanted: np.ndarray) -> np.ndarray:
    """For each of ``wanted``, the first of the positions 0..count-1 (ascending by
    ``key(positions)``) whose key is not below it: one binary search for all of them at
    once, reading log2(count) keys per value. numpy's ``searchsorted`` would first copy a
    whole mapped column (the sorter, unless already of the platform's integer type, and the
    column itself when its type is narrower than the values'): milliseconds per call at a
    million rows, on every change applied."""
    low = np.zeros(len(wanted), dtype=np.int64)
    high = np.full(len(wanted), count, dtype=np.int64)
    active = np.flatnonzero(low < high)
    while len(active):
        middle = (low[active] + high[active]) >> 1
        below = key(middle) < wanted[active]
        low[active[below]] = middle[below] + 1
        high[active[~below]] = middle[~below]
        active = active[low[active] < high[active]]
    return low


class PointSet:
    """A KD-tree over some rows of a table; ``rows`` maps tree positions back."""

    __slots__ = ("rows", "tree")

    def __init__(self, rows: np.ndarray, tree: cKDTree | None):
        self.rows = rows
        self.tree = tree

    @classmethod
    def over(cls, rows: np.ndarray, vectors: np.ndarray) -> PointSet:
        return cls(rows, cKDTree(vectors[rows], leafsize=LEAF_SIZE) if len(rows) else None)

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Meta:
    """What a snapshot is: the directory version it was read at, that version's change
    token, the day it was read for."""

    version: int
    token: str | None
    on: datetime.date


class Base:
    """Specialists qualifying on ``meta.on`` (a table in the order of their KD-tree's
    leaves, so neighbours share memory pages), a tree over all of them and one per
    treatment, every institute (ordered by id) with a tree, each specialist's institute
    row, the institutes' members, and both name orders."""

    def __init__(self, columns: dict[str, np.ndarray], header: dict):
        self.meta = Meta(
            version=header["version"],
            token=header["token"],
            on=datetime.date.fromisoformat(header["on"]),
        )
        self.columns = columns
        self.specialists = SpecialistTable(columns, header["codes"])
        self.institutes = InstituteTable(columns)
        self.by_id = columns["spec.by_id"]
        self.by_name = columns["spec.by_name"]
        self.institute_rows = columns["spec.institute_row"]
        self.members = (columns["inst.members.offsets"], columns["inst.members.rows"])
        self.institutes_by_name = columns["inst.by_name"]
        self.language_counts = dict(header["language_counts"])
        self._all = PointSet(np.arange(len(self.by_id), dtype=np.int32), _tree_load(columns, "all"))
        self.tree_treatments = list(header["tree_treatments"])
        self._treatments = {
            int(pk): PointSet(columns[f"treatment.{pk}.rows"], _tree_load(columns, f"t{pk}"))
            for pk in self.tree_treatments
        }
        self._lock = threading.Lock()
        self._filtered: OrderedDict[tuple, PointSet] = OrderedDict()
        self._filtered_points = 0
        self._institute_sets: OrderedDict[tuple, tuple[PointSet, np.ndarray]] = OrderedDict()
        self._name_rank: np.ndarray | None = None
        self._institute_name_rank: np.ndarray | None = None
        self._lapsed: tuple[datetime.date, np.ndarray] | None = None
        self._counts: dict[tuple, int] = {}

    def __len__(self) -> int:
        return len(self.by_id)

    @property
    def vectors(self) -> np.ndarray:
        return self.columns["spec.vectors"]

    def rows_of(self, ids: np.ndarray) -> np.ndarray:
        """The rows of the specialists ``ids``; -1 for those not in the base. Reads about
        log2(len(self)) ids per id asked about and nothing else of the base."""
        ids = np.asarray(ids, dtype=np.int64)
        table_ids, by_id = self.specialists.ids, self.by_id
        found = lower_bound(lambda positions: table_ids[by_id[positions]], len(by_id), ids)
        inside = found < len(by_id)
        rows = np.full(len(ids), -1, dtype=np.int64)
        candidates = by_id[found[inside]].astype(np.int64)
        match = self.specialists.ids[candidates] == ids[inside]
        rows[np.flatnonzero(inside)[match]] = candidates[match]
        return rows

    def lapsed(self, on: datetime.date) -> np.ndarray:
        """The rows whose qualification ended before ``on`` (sorted)."""
        if on <= self.meta.on:
            # Every row qualified on the day the base was read for: until the next day,
            # nothing lapsed, and a base just adopted needs no pass over its column.
            return np.zeros(0, dtype=np.int64)
        cached = self._lapsed
        if cached is None or cached[0] != on:
            cached = self._lapsed = (
                on,
                np.flatnonzero(self.specialists.until < on.toordinal()),
            )
        return cached[1]

    @property
    def name_rank(self) -> np.ndarray:
        """Each row's position in the name order."""
        if self._name_rank is None:
            rank = np.empty(len(self.by_name), dtype=np.int64)
            rank[self.by_name] = np.arange(len(self.by_name))
            self._name_rank = rank
        return self._name_rank

    @property
    def institute_name_rank(self) -> np.ndarray:
        if self._institute_name_rank is None:
            order = self.institutes_by_name
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            self._institute_name_rank = rank
        return self._institute_name_rank

    def point_set(self, treatment_id: int | None, filters) -> PointSet:
        """The tree over exactly the rows offering the treatment and matching ``filters``:
        the base's own for a treatment (or none), else built on first use and kept while
        among the most recently used within the points budget."""
        if filters == NO_FILTER:
            if treatment_id is None:
                return self._all
            return self._treatments.get(treatment_id) or PointSet(np.zeros(0, np.int64), None)
        key = (treatment_id, filters)
        with self._lock:
            found = self._filtered.get(key)
            if found is not None:
                self._filtered.move_to_end(key)
                return found
        # Built outside the lock, so searches with cached filters never wait for it; two
        # threads meeting a new combination at once may both build it, and one tree wins.
        rows = np.flatnonzero(self.specialists.matching(treatment_id, filters))
        built = PointSet.over(rows, self.vectors)
        with self._lock:
            if key in self._filtered:
                return self._filtered[key]
            self._filtered[key] = built
            self._filtered_points += len(built)
            budget = max(FILTERED_POINTS_BUDGET * len(self), FILTERED_POINTS_FLOOR)
            while self._filtered_points > budget and len(self._filtered) > 1:
                _, dropped = self._filtered.popitem(last=False)
                self._filtered_points -= len(dropped)
        return built

    def institute_set(self, treatment_id: int | None, filters) -> tuple[PointSet, np.ndarray]:
        """The active institutes with a base specialist in ``point_set(...)``, as a tree
        over institute rows, and how many such specialists each institute row has."""
        key = (treatment_id, filters)
        with self._lock:
            found = self._institute_sets.get(key)
            if found is not None:
                self._institute_sets.move_to_end(key)
                return found
        rows = self.point_set(treatment_id, filters).rows
        owners = self.institute_rows[rows]
        counts = np.bincount(owners[owners >= 0], minlength=len(self.institutes))
        present = np.flatnonzero((counts > 0) & self.institutes.active)
        built = (PointSet.over(present, self.institutes.vectors), counts)
        with self._lock:
            self._institute_sets[key] = built
            while len(self._institute_sets) > _INSTITUTE_SETS_KEPT:
                self._institute_sets.popitem(last=False)
        return built

    def place_total(self, treatment_id: int | None, latitude: float, longitude: float):
        """The default search's total around the ZIP at exactly these coordinates, over
        the rows offering the treatment (None: all), from the table the build wrote
        (``matcher.index.place_totals``); None when the base has no table, or no total for
        this place or treatment."""
        latitudes = self.columns.get("totals.lat")
        name = "all" if treatment_id is None else f"t{treatment_id}"
        totals = self.columns.get(f"totals.{name}")
        if latitudes is None or totals is None:
            return None
        longitudes = self.columns["totals.lon"]
        position = int(latitudes.searchsorted(latitude))
        while position < len(latitudes) and latitudes.item(position) == latitude:
            if longitudes.item(position) == longitude:
                return int(totals[position])
            position += 1
        return None

    def counted(self, key: tuple, count) -> int:
        """``count()``, a number of this base's rows within a search's radius, remembered
        under ``key`` (what the search asked: the set, the place, the radius) while the
        base lives, which never changes: counting visits every point inside the radius, a
        sixth of a search's work at a million specialists, and patients' searches repeat
        their places. The COUNTS_KEPT most recent keys at most, forgotten all at once when
        full (cheaper than ordering them; busy places come back at once)."""
        found = self._counts.get(key)
        if found is None:
            found = count()
            if len(self._counts) >= COUNTS_KEPT:
                self._counts.clear()
            self._counts[key] = found
        return found

    def member_rows(self, institute_row: int) -> np.ndarray:
        offsets, rows = self.members
        return rows[offsets[institute_row] : offsets[institute_row + 1]]


def _casefold_codes(values: list[str]) -> np.ndarray:
    """Each value's rank among the distinct values, casefolded."""
    folded = [value.casefold() for value in values]
    rank = {value: position for position, value in enumerate(sorted(set(folded)))}
    return np.fromiter((rank[value] for value in folded), np.int64, len(folded))


def base_columns(
    *,
    read: SpecialistRows,
    institutes: InstituteTable,
    version: int,
    token: str | None,
    on: datetime.date,
) -> tuple[dict[str, np.ndarray], dict]:
    """A base's arrays and header from the qualifying specialists as read and every
    institute (ordered by id)."""
    if read.rows:
        latitudes, longitudes = read.positions()
        read = read.reordered(
            cKDTree(unit_vectors(latitudes, longitudes), leafsize=LEAF_SIZE).indices
        )
    spatial = read.table(blocks=True)
    columns, codes = spatial.columns()
    columns["spec.by_id"] = np.argsort(spatial.ids, kind="stable").astype(np.int32)
    columns["spec.by_name"] = np.lexsort(
        (
            spatial.ids,
            _casefold_codes(read.first_names()),
            _casefold_codes(read.last_names()),
        )
    ).astype(np.int32)
    vectors = np.ascontiguousarray(spatial.vectors)
    if len(spatial):
        columns.update(_tree_columns("all", cKDTree(vectors, leafsize=LEAF_SIZE)))
        # The tree's copy of the points is the column: stored once, shared by both.
        vectors = _tree_load(columns, "all").data
    columns["spec.vectors"] = vectors
    tree_treatments = []
    for pk in spatial.treatments.codes:
        rows = np.flatnonzero(spatial.treatments.rows_with(pk)).astype(np.int32)
        columns[f"treatment.{pk}.rows"] = rows
        columns.update(_tree_columns(f"t{pk}", cKDTree(vectors[rows], leafsize=LEAF_SIZE)))
        tree_treatments.append(int(pk))

    columns.update(institutes.columns())
    columns["inst.vectors"] = np.ascontiguousarray(institutes.vectors)
    names = [institutes.name(row) for row in range(len(institutes))]
    columns["inst.by_name"] = np.lexsort((institutes.ids, _casefold_codes(names))).astype(np.int32)
    institute_row = np.full(len(spatial), -1, dtype=np.int32)
    if len(institutes):
        owners = np.minimum(
            np.searchsorted(institutes.ids, spatial.institutes), len(institutes) - 1
        )
        known = (spatial.institutes != 0) & (institutes.ids[owners] == spatial.institutes)
        institute_row[known] = owners[known]
    columns["spec.institute_row"] = institute_row
    with_institute = np.flatnonzero(institute_row >= 0)
    members = with_institute[np.argsort(institute_row[with_institute], kind="stable")]
    offsets = np.zeros(len(institutes) + 1, dtype=np.int64)
    np.cumsum(
        np.bincount(institute_row[with_institute], minlength=len(institutes)), out=offsets[1:]
    )
    columns["inst.members.offsets"] = offsets
    columns["inst.members.rows"] = members.astype(np.int32)
    header = {
        "format": FORMAT,
        "libraries": _LIBRARIES,
        "version": version,
        "token": token,
        "on": on.isoformat(),
        "codes": codes,
        "tree_treatments": tree_treatments,
        "language_counts": sorted(spatial.languages.counts().items()),
    }
    return columns, header


# --- Files ----------------------------------------------------------------------------


def snapshot_write(path: Path, columns: dict[str, np.ndarray], header: dict) -> None:
    """Write a snapshot file atomically: under a temporary name, then renamed into place.
    Arrays that share memory (a tree's points and the specialists' vectors) are stored
    once."""
    layout, placed, offset = {}, {}, 0
    chunks: list[tuple[int, np.ndarray]] = []
    for name, array in columns.items():
        array = np.ascontiguousarray(array)
        key = (array.__array_interface__["data"][0], array.nbytes)
        if key in placed and array.nbytes:
            layout[name] = [array.dtype.str, list(array.shape), placed[key]]
            continue
        offset = -(-offset // _ALIGN) * _ALIGN
        layout[name] = [array.dtype.str, list(array.shape), offset]
        placed[key] = offset
        chunks.append((offset, array))
        offset += array.nbytes
    text = json.dumps({**header, "arrays": layout}).encode()
    start = -(-(len(_MAGIC) + 8 + len(text)) // _ALIGN) * _ALIGN
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as out:
            out.write(_MAGIC + len(text).to_bytes(8, "little") + text)
            for position, array in chunks:
                if array.nbytes:
                    out.seek(start + position)
                    out.write(memoryview(array.reshape(-1)).cast("B"))
            out.truncate(start + offset)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def snapshot_header(path: Path) -> dict:
    """A snapshot file's header, without mapping its arrays."""
    with open(path, "rb") as source:
        magic = source.read(len(_MAGIC))
        if magic != _MAGIC:
            raise ValueError(f"{path} is not a snapshot file")
        length = int.from_bytes(source.read(8), "little")
        header = json.loads(source.read(length))
    if header.get("format") != FORMAT or header.get("libraries") != _LIBRARIES:
        raise ValueError(f"{path} was written by another version of the index or its libraries")
    return header


def snapshot_open(path: Path) -> Base:
    """The snapshot in ``path``, its arrays mapped read-only (shared with every process
    mapping the same file)."""
    header = snapshot_header(path)
    with open(path, "rb") as source:
        mapped = mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ)
    length = int.from_bytes(mapped[len(_MAGIC) : len(_MAGIC) + 8], "little")
    start = -(-(len(_MAGIC) + 8 + length) // _ALIGN) * _ALIGN
    columns = {}
    for name, (dtype, shape, offset) in header.pop("arrays").items():
        count = int(np.prod(shape)) if shape else 1
        columns[name] = np.frombuffer(
            mapped, dtype=np.dtype(dtype), count=count, offset=start + offset
        ).reshape(shape)
    base = Base(columns, header)
    # Loading the trees read all their nodes; let those pages go until a search needs them,
    # so a process holds only the parts of the file its searches use.
    mapped.madvise(mmap.MADV_DONTNEED)
    return base
