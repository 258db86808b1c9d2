"""The ZIP gazetteer as one packed, read-only file that every process maps.

The ``zipcodes`` package hands its 42,789 records out as Python dicts: about 150 MB in each
process that asks, and Python does not give that memory back once it is freed. So the
records are read once, in a child process, into a file of flat arrays (about 3 MB):
coordinates, states, kinds and city names per ZIP, the city-name index place searches use,
and the cities maps label. Each web process maps the file (its pages are shared by every
process on the host) and reads single values from it, so the gazetteer costs each process
a few hundred kilobytes of its own and a millisecond to open.

The file (``GAZETTEER_FILE``, default ``var/gazetteer-<format>.bin``) is built on first use, or by
``python -m geo.zipdata [FILE]`` (``make install`` runs it), and rebuilt when it was made
by another format version or another ``zipcodes`` release; it is replaced atomically, so a
process never reads a half-written one.

This module is the only one that imports ``zipcodes``; it imports nothing from Django
either, so the build runs in a bare interpreter.
"""

from __future__ import annotations

import json
import mmap
import os
import re
import struct
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FORMAT = 2
# Named by format: processes of two releases (a deploy in progress) never fight over one.
DEFAULT_FILE = ROOT / "var" / f"gazetteer-{FORMAT}.bin"
_MAGIC = b"SPINEZIP"
_ALIGN = 64
ZIP_NUMBERS = 100_000

# Flags per record.
LOCATED = 1  # real coordinates (APO/FPO codes are recorded at 0,0)
STANDARD = 2  # USPS "standard" ZIP: an area with street delivery
TOWN = 4  # standard or PO box: where "the nearest ZIP" to a location is looked for

_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}


def city_key(name: str) -> str:
    """A city name as typed or as listed, compared without case, accents, punctuation or
    the usual abbreviations ("St. Louis" is "Saint Louis")."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    words = re.sub(r"[^\w\s]", " ", text.replace("'", "")).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def source_version() -> str:
    from zipcodes import __version__

    return f"zipcodes {__version__}"


# --- Building -------------------------------------------------------------------------------


def _strings(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 texts as (offsets, bytes): text i is bytes[offsets[i]:offsets[i + 1]]."""
    encoded = [value.encode() for value in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.uint32)
    offsets[1:] = np.cumsum([len(item) for item in encoded], dtype=np.uint64)
    return offsets, np.frombuffer(b"".join(encoded), dtype=np.uint8)


def _tables(records: list[dict]) -> tuple[list[str], dict[str, np.ndarray]]:
    """The states and arrays the file holds, from ``zipcodes`` records in ZIP order."""
    records = sorted(records, key=lambda record: record["zip_code"])
    count = len(records)
    states = sorted({record["state"] for record in records})
    state_codes = {state: position for position, state in enumerate(states)}
    names = sorted({record["city"] for record in records})
    name_codes = {name: position for position, name in enumerate(names)}
    arrays = {
        "slot": np.full(ZIP_NUMBERS, -1, dtype=np.int32),
        "zip": np.zeros(count, dtype=np.int32),
        "latitude": np.zeros(count, dtype=np.float64),
        "longitude": np.zeros(count, dtype=np.float64),
        "state": np.zeros(count, dtype=np.uint8),
        "flags": np.zeros(count, dtype=np.uint8),
        "city": np.zeros(count, dtype=np.uint32),
    }
    # (city key, state, ZIP) once per distinct name of a located ZIP, in ZIP order; a ZIP
    # whose names share a key counts once per name, as a state's ZIP count for a city did.
    pairs: list[tuple[str, int, int]] = []
    for position, record in enumerate(records):
        number = int(record["zip_code"])
        latitude, longitude = float(record["lat"]), float(record["long"])
        arrays["slot"][number] = position
        arrays["zip"][position] = number
        arrays["state"][position] = state_codes[record["state"]]
        arrays["city"][position] = name_codes[record["city"]]
        if latitude == 0 and longitude == 0:
            continue
        arrays["latitude"][position] = latitude
        arrays["longitude"][position] = longitude
        kind = record["zip_code_type"]
        arrays["flags"][position] = (
            LOCATED
            | (STANDARD if kind == "STANDARD" else 0)
            | (TOWN if kind in ("STANDARD", "PO BOX") else 0)
        )
        for name in {record["city"], *record.get("acceptable_cities", ())}:
            pairs.append((city_key(name), state_codes[record["state"]], position))
    # Keys in UTF-8 byte order, the order a lookup bisects in; a stable sort keeps each
    # state's ZIPs in ZIP order.
    pairs.sort(key=lambda pair: (pair[0].encode(), pair[1]))
    keys, key_starts = [], []
    for start, (key, _, _) in enumerate(pairs):
        if not keys or keys[-1] != key:
            keys.append(key)
            key_starts.append(start)
    arrays.update(_city_table(records, arrays, name_codes, state_codes))
    arrays["name_offsets"], arrays["name_bytes"] = _strings(names)
    arrays["key_offsets"], arrays["key_bytes"] = _strings(keys)
    arrays["key_pairs"] = np.array([*key_starts, len(pairs)], dtype=np.uint32)
    arrays["pair_state"] = np.array([state for _, state, _ in pairs], dtype=np.uint8)
    arrays["pair_record"] = np.array([position for _, _, position in pairs], dtype=np.uint32)
    return states, arrays


def _city_table(records, arrays, name_codes, state_codes) -> dict[str, np.ndarray]:
    """Every city with a street-delivery ZIP, the largest first (most ZIPs, then name and
    state): its name, state, the middle of its standard ZIPs and how many it has."""
    grouped: dict[tuple[str, str], list[int]] = {}
    for position, record in enumerate(records):
        if arrays["flags"][position] & STANDARD:
            grouped.setdefault((record["city"], record["state"]), []).append(position)
    latitudes, longitudes = arrays["latitude"].tolist(), arrays["longitude"].tolist()
    rows = sorted(
        (
            -len(members),
            name,
            state,
            sum(latitudes[p] for p in members) / len(members),
            sum(longitudes[p] for p in members) / len(members),
        )
        for (name, state), members in grouped.items()
    )
    return {
        "city_name": np.array([name_codes[row[1]] for row in rows], dtype=np.uint32),
        "city_name_length": np.array([len(row[1]) for row in rows], dtype=np.uint16),
        "city_state": np.array([state_codes[row[2]] for row in rows], dtype=np.uint8),
        "city_latitude": np.array([row[3] for row in rows], dtype=np.float64),
        "city_longitude": np.array([row[4] for row in rows], dtype=np.float64),
        "city_zips": np.array([-row[0] for row in rows], dtype=np.uint32),
    }


def build(path: Path) -> None:
    """Write the file at ``path`` from the ``zipcodes`` package (replacing it atomically)."""
    import zipcodes

    states, arrays = _tables(zipcodes.list_all())
    layout, offset = {}, 0
    for name, array in arrays.items():
        layout[name] = [array.dtype.str, len(array), offset]
        offset += -(-array.nbytes // _ALIGN) * _ALIGN
    header = json.dumps(
        {"format": FORMAT, "source": source_version(), "states": states, "arrays": layout}
    ).encode()
    start = -(-(len(_MAGIC) + 8 + len(header)) // _ALIGN) * _ALIGN
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, delete=False) as out:
        out.write(_MAGIC + struct.pack("<Q", len(header)) + header)
        for name, array in arrays.items():
            out.seek(start + layout[name][2])
            out.write(array.tobytes())
        out.truncate(start + offset)
    os.chmod(out.name, 0o644)
    os.replace(out.name, path)


# --- Reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZipData:
    """The mapped file: ``arrays`` (read-only numpy views) and ``states`` (USPS codes by
    the ``state`` array's values), plus flat views of the arrays single lookups read, which
    give plain Python values several times faster than indexing numpy."""

    states: tuple[str, ...]
    arrays: dict[str, np.ndarray]
    views: dict[str, memoryview]


def _read(path: Path) -> ZipData | None:
    """The file at ``path``, or None when it is missing or made by another format or
    source."""
    try:
        with open(path, "rb") as file:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    except (FileNotFoundError, ValueError):  # ValueError: an empty file
        return None
    try:
        if mapped[: len(_MAGIC)] != _MAGIC:
            return None
        (length,) = struct.unpack_from("<Q", mapped, len(_MAGIC))
        header = json.loads(mapped[len(_MAGIC) + 8 : len(_MAGIC) + 8 + length])
        if header.get("format") != FORMAT or header.get("source") != source_version():
            return None
    except (struct.error, ValueError, AttributeError):  # cut short or not ours
        return None
    start = -(-(len(_MAGIC) + 8 + length) // _ALIGN) * _ALIGN
    buffer = memoryview(mapped)
    arrays, views = {}, {}
    for name, (dtype, count, offset) in header["arrays"].items():
        dtype = np.dtype(dtype)
        chunk = buffer[start + offset : start + offset + dtype.itemsize * count]
        arrays[name] = np.frombuffer(chunk, dtype=dtype)
        views[name] = chunk.cast(dtype.char)
    return ZipData(states=tuple(header["states"]), arrays=arrays, views=views)


def load(path: Path) -> ZipData:
    """The file at ``path``, built first (in a child process, whose memory goes with it)
    when it is missing or out of date."""
    found = _read(path)
    if found is None:
        subprocess.run(
            [sys.executable, "-m", "geo.zipdata", str(path)],
            check=True,
            cwd=ROOT,
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join(
                    [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
                ),
            },
        )
        found = _read(path)
        if found is None:
            raise RuntimeError(f"{path} could not be read after it was built")
    return found


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FILE
    if _read(target) is None:
        build(target)
