"""ZIP codes to places, from the offline gazetteer; also city names and coordinates to
places, for the patient pages.

Lookups never touch the network: they read the packed file of ``geo.zipdata`` (mapped
once per process, shared by every process on the host), whose records are in ZIP order
and whose city index is sorted; a KD-tree of town ZIP centroids is built on the first
"nearest ZIP" question.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils.translation import gettext
from scipy.spatial import cKDTree

from . import zipdata
from .distance import great_circle_distance, unit_vectors
from .zipdata import city_key

ZIP_PATTERN = re.compile(r"(\d{5})(?:-?\d{4})?", re.ASCII)
MAX_ZIP_INPUT_LENGTH = 20
MAX_PLACE_INPUT_LENGTH = 80
# Farther than this from every town ZIP's centroid, a location is not somewhere we cover
# (every located ZIP but a military one lies within 25 miles of one).
NEAREST_ZIP_MAX_MILES = 75
# Answers kept built per process, a few hundred bytes each: room for every ZIP traffic
# asks for (42,789 are known), so a place is built once per process, not once per lookup.
PLACES_KEPT = 65_536
UNKNOWN, UNLOCATED = object(), object()

# USPS codes: the fifty states, then the District of Columbia and the territories, which a
# count of "states" must not include.
STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip
DISTRICT_AND_TERRITORIES = {
    "DC": "District of Columbia", "PR": "Puerto Rico", "GU": "Guam",
    "VI": "U.S. Virgin Islands", "AS": "American Samoa", "MP": "Northern Mariana Islands",
}  # fmt: skip
PLACE_NAMES = {**STATES, **DISTRICT_AND_TERRITORIES}


class ZipCodeError(ValueError):
    """A ZIP code a patient typed that cannot be used; the message is fit to show them, in
    the language active when it was raised."""


@dataclass(frozen=True, slots=True)
class ZipPlace:
    zip: str
    city: str
    state: str
    latitude: float
    longitude: float


class PlaceError(ZipCodeError):
    """A place typed on a page (a city, with or without its state) that cannot be used;
    ``messages`` are fit to show, the first naming what the field takes."""

    def __init__(self, *messages: str):
        super().__init__(messages[0])
        self.messages = list(messages)


# A frozen dataclass's generated __init__ sets each field through object.__setattr__,
# which is most of a lookup's cost; the slots' own descriptors set them directly.
_set_zip, _set_city, _set_state, _set_latitude, _set_longitude = (
    getattr(ZipPlace, name).__set__ for name in ("zip", "city", "state", "latitude", "longitude")
)


def _built_place(zip5: str, city: str, state: str, latitude: float, longitude: float):
    place = object.__new__(ZipPlace)
    _set_zip(place, zip5)
    _set_city(place, city)
    _set_state(place, state)
    _set_latitude(place, latitude)
    _set_longitude(place, longitude)
    return place


class _Gazetteer:
    """The packed file (``geo.zipdata``) and the lookups over it. Records are in ZIP order,
    so a record's position orders like its ZIP."""

    def __init__(self, data: zipdata.ZipData):
        self.data = data
        views = data.views
        self._slot, self._flags = views["slot"], views["flags"]
        self._zip, self._state, self._city = views["zip"], views["state"], views["city"]
        self._latitude, self._longitude = views["latitude"], views["longitude"]
        self._name_offsets, self._name_bytes = views["name_offsets"], views["name_bytes"]
        self._key_offsets, self._key_bytes = views["key_offsets"], views["key_bytes"]
        self._key_pairs = views["key_pairs"]
        self._pair_state, self._pair_record = views["pair_state"], views["pair_record"]
        self._states = data.states
        # City names decoded on first use, each once: 18,762 names serve 42,789 ZIPs.
        self._names: list[str | None] = [None] * (len(self._name_offsets) - 1)
        # The most used answers stay built, keyed by ZIP: a hit skips the record entirely.
        self.lookup = functools.lru_cache(maxsize=PLACES_KEPT)(self._lookup)

    def is_standard(self, position: int) -> bool:
        return bool(self._flags[position] & zipdata.STANDARD)

    def _lookup(self, zip5: str) -> ZipPlace | object:
        """The place of a 5-digit ZIP, else UNKNOWN or UNLOCATED."""
        position = self._slot[int(zip5)]
        if position < 0:
            return UNKNOWN
        if not self._flags[position] & zipdata.LOCATED:
            return UNLOCATED
        return self._record(position, zip5)

    def place(self, position: int) -> ZipPlace:
        """The place of a located record, built afresh."""
        return self._record(position, f"{self._zip[position]:05d}")

    def name(self, code: int) -> str:
        """City name number ``code``."""
        city = self._names[code]
        if city is None:
            offsets = self._name_offsets
            city = self._names[code] = str(
                self._name_bytes[offsets[code] : offsets[code + 1]], "utf-8"
            )
        return city

    def _record(self, position: int, zip5: str) -> ZipPlace:
        return _built_place(
            zip5,
            self.name(self._city[position]),
            self._states[self._state[position]],
            self._latitude[position],
            self._longitude[position],
        )

    def city_states(self, key: str) -> dict[str, list[int]]:
        """State -> the located records a normalised city name names there (each once per
        listed name of the ZIP that has this key), in ZIP order; {} for an unknown name."""
        wanted = key.encode()
        offsets, text = self._key_offsets, self._key_bytes
        low, high = 0, len(offsets) - 1
        while low < high:
            middle = (low + high) // 2
            if bytes(text[offsets[middle] : offsets[middle + 1]]) < wanted:
                low = middle + 1
            else:
                high = middle
        if low == len(offsets) - 1 or bytes(text[offsets[low] : offsets[low + 1]]) != wanted:
            return {}
        states: dict[str, list[int]] = {}
        for pair in range(self._key_pairs[low], self._key_pairs[low + 1]):
            state = self._states[self._pair_state[pair]]
            states.setdefault(state, []).append(self._pair_record[pair])
        return states

    def with_flag(self, flag: int) -> np.ndarray:
        """The records holding ``flag``, in ZIP order."""
        return np.flatnonzero(self.data.arrays["flags"] & flag)


@functools.cache
def _index() -> _Gazetteer:
    path = Path(getattr(settings, "GAZETTEER_FILE", zipdata.DEFAULT_FILE))
    return _Gazetteer(zipdata.load(path))


def normalize_zip(raw: object) -> str:
    """The 5-digit ZIP in ``raw`` (5 digits or ZIP+4, spaces around allowed).

    Raises ZipCodeError("Enter a 5-digit US ZIP code") for anything else.
    """
    if not isinstance(raw, str) or len(raw) > MAX_ZIP_INPUT_LENGTH:
        raise ZipCodeError(gettext("Enter a 5-digit US ZIP code."))
    if len(raw) == 5 and raw.isascii() and raw.isdigit():
        return raw  # what nearly every client sends, without the pattern's cost
    match = ZIP_PATTERN.fullmatch(raw.strip())
    if match is None:
        raise ZipCodeError(gettext("Enter a 5-digit US ZIP code."))
    return match.group(1)


def zip_place(raw: object) -> ZipPlace:
    """The located place for a ZIP a client sent; raises ZipCodeError with the reason."""
    zip5 = normalize_zip(raw)
    place = _index().lookup(zip5)
    if place is UNKNOWN:
        raise ZipCodeError(gettext("Unknown ZIP code %(zip)s.") % {"zip": zip5})
    if place is UNLOCATED:
        raise ZipCodeError(gettext("ZIP code %(zip)s has no known location.") % {"zip": zip5})
    return place


def place_search(raw: object) -> ZipPlace:
    """The place a patient typed: a ZIP code (``zip_place``'s rules and messages), "City,
    ST" or "City, State", or a city name only one state has. A city stands for the area ZIP
    nearest the middle of its ZIPs.

    Raises ZipCodeError for a bad ZIP and PlaceError for a city that cannot be placed.
    """
    if not isinstance(raw, str) or not any(ch.isalpha() for ch in raw):
        return zip_place(raw)
    text = " ".join(raw.split())
    if len(text) > MAX_PLACE_INPUT_LENGTH:
        raise PlaceError(gettext("Enter a 5-digit US ZIP code or a city and state."))
    city, state = _city_and_state(text)
    states = _index().city_states(city_key(city))
    if state is not None:
        if state not in states:
            raise PlaceError(
                gettext(
                    "We found no place called %(city)s in %(state)s. Check the spelling, or "
                    "enter a ZIP code."
                )
                % {"city": city, "state": PLACE_NAMES[state]}
            )
        return _city_centre(states[state])
    if not states:
        raise PlaceError(
            gettext("Enter a 5-digit US ZIP code."),
            gettext(
                "We found no US city called %(city)s. Check the spelling, or add the state, "
                "for example Austin, TX."
            )
            % {"city": text},
        )
    if len(states) > 1:
        # The state with the most ZIPs under that name is most likely the one meant.
        likely = max(states, key=lambda code: (len(states[code]), code))
        raise PlaceError(
            gettext(
                "Several places are called %(city)s (%(states)s): add the state, for example "
                "%(example)s."
            )
            % {
                "city": city,
                "states": ", ".join(sorted(states)),
                "example": f"{_index().place(states[likely][0]).city}, {likely}",
            }
        )
    (zips,) = states.values()
    return _city_centre(zips)


@functools.cache
def _state_keys() -> dict[str, str]:
    """Each state's (and territory's) normalised name -> its USPS code."""
    return {city_key(name): code for code, name in PLACE_NAMES.items()}


def _city_and_state(text: str) -> tuple[str, str | None]:
    """ "Austin, TX", "Austin TX", "Austin, Texas" -> ("Austin", "TX"); "Austin" -> ("Austin",
    None). A trailing word is a state only when it names one."""
    by_name = _state_keys()
    head, comma, tail = text.rpartition(",")
    if comma:
        code = tail.strip().upper()
        if code in PLACE_NAMES:
            return head.strip(), code
        if city_key(tail) in by_name:
            return head.strip(), by_name[city_key(tail)]
        return text, None
    words = text.split()
    for size in (3, 2, 1):
        if len(words) > size:
            ending = " ".join(words[-size:])
            code = ending.upper() if size == 1 and ending.upper() in PLACE_NAMES else None
            code = code or by_name.get(city_key(ending))
            if code:
                return " ".join(words[:-size]), code
    return text, None


def _city_centre(positions: list[int]) -> ZipPlace:
    """The area ZIP nearest the middle of a city's ZIP centroids (all of them when none is
    an area ZIP); ties go to the lowest ZIP."""
    gazetteer = _index()
    latitudes, longitudes = gazetteer.data.arrays["latitude"], gazetteer.data.arrays["longitude"]
    every = sorted(set(positions))
    candidates = [p for p in every if gazetteer.is_standard(p)] or every
    vectors = unit_vectors(latitudes[candidates], longitudes[candidates])
    middle = vectors.mean(axis=0)
    return gazetteer.place(candidates[int(np.argmin(np.linalg.norm(vectors - middle, axis=1)))])


@functools.cache
def _centroid_tree() -> tuple[cKDTree, np.ndarray]:
    gazetteer = _index()
    towns = gazetteer.with_flag(zipdata.TOWN)
    arrays = gazetteer.data.arrays
    return cKDTree(unit_vectors(arrays["latitude"][towns], arrays["longitude"][towns])), towns


def nearest_zip_place(latitude: float, longitude: float) -> ZipPlace:
    """The town ZIP (street or PO box delivery) whose centroid is nearest to a point (a
    browser's location).

    Raises PlaceError when that is more than NEAREST_ZIP_MAX_MILES away: the point is not
    in a place the gazetteer covers.
    """
    tree, towns = _centroid_tree()
    _, position = tree.query(unit_vectors([latitude], [longitude])[0])
    place = _index().place(int(towns[int(position)]))
    miles = great_circle_distance(latitude, longitude, place.latitude, place.longitude)
    if miles > NEAREST_ZIP_MAX_MILES:
        raise PlaceError(
            gettext("Your location is not in the United States. Enter a ZIP code or a city.")
        )
    return place


@dataclass(frozen=True, slots=True)
class City:
    """A city by its USPS name: the middle of its street-delivery ZIPs, and how many it has
    (a measure of its size)."""

    name: str
    state: str
    latitude: float
    longitude: float
    zips: int


@functools.cache
def cities() -> tuple[City, ...]:
    """Every city with a street-delivery ZIP, the largest first (most ZIPs, then name and
    state)."""
    table = city_table()
    return tuple(
        City(
            name=table.name(position),
            state=table.state(position),
            latitude=float(table.latitudes[position]),
            longitude=float(table.longitudes[position]),
            zips=int(table.zips[position]),
        )
        for position in range(len(table.zips))
    )


@dataclass(frozen=True)
class CityTable:
    """``cities()`` as columns read from the mapped file, for code that scans them all
    (maps): no Python object per city until one is named."""

    latitudes: np.ndarray
    longitudes: np.ndarray
    zips: np.ndarray
    name_lengths: np.ndarray
    _gazetteer: _Gazetteer

    def name(self, position: int) -> str:
        return self._gazetteer.name(int(self._gazetteer.data.arrays["city_name"][position]))

    def state(self, position: int) -> str:
        gazetteer = self._gazetteer
        return gazetteer.data.states[gazetteer.data.arrays["city_state"][position]]


def city_table() -> CityTable:
    gazetteer = _index()
    arrays = gazetteer.data.arrays
    return CityTable(
        latitudes=arrays["city_latitude"],
        longitudes=arrays["city_longitude"],
        zips=arrays["city_zips"],
        name_lengths=arrays["city_name_length"],
        _gazetteer=gazetteer,
    )


def located_zip_places() -> list[ZipPlace]:
    """Every ZIP with real coordinates, in ZIP order (demo data and benchmarks draw on it)."""
    gazetteer = _index()
    return [gazetteer.place(p) for p in gazetteer.with_flag(zipdata.LOCATED).tolist()]


def warm_gazetteer() -> None:
    """Open the gazetteer now (a millisecond once its file is built) instead of on the first
    request."""
    _index()
