"""ZIP codes to places, from the offline gazetteer; also city names and coordinates to
places, for the patient pages.

The only module that imports ``zipcodes``. Lookups never touch the network: the gazetteer
is loaded once into a dict keyed by 5-digit ZIP, a city index and a KD-tree of ZIP centroids.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext
from scipy.spatial import cKDTree

from .distance import great_circle_distance, unit_vectors

ZIP_PATTERN = re.compile(r"(\d{5})(?:-?\d{4})?", re.ASCII)
MAX_ZIP_INPUT_LENGTH = 20
MAX_PLACE_INPUT_LENGTH = 80
# Farther than this from every town ZIP's centroid, a location is not somewhere we cover
# (every located ZIP but a military one lies within 25 miles of one).
NEAREST_ZIP_MAX_MILES = 75

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


@dataclass(frozen=True)
class _Gazetteer:
    places: dict[str, ZipPlace | None]
    # Normalised city name -> state -> the ZIPs that name it (main and acceptable names).
    cities: dict[str, dict[str, list[str]]]
    # USPS "standard" ZIPs: areas with street delivery, what a city's ZIPs are centred on.
    standard: list[str]
    # Standard and PO box ZIPs (many villages have only a PO box ZIP), without single
    # addresses or military ones: where "the nearest ZIP" to a location is looked for.
    towns: list[str]


@functools.cache
def _index() -> _Gazetteer:
    import zipcodes

    places: dict[str, ZipPlace | None] = {}
    cities: dict[str, dict[str, list[str]]] = {}
    standard, towns = [], []
    for record in zipcodes.list_all():
        zip5 = record["zip_code"]
        latitude, longitude = float(record["lat"]), float(record["long"])
        if latitude == 0 and longitude == 0:
            places[zip5] = None
            continue
        places[zip5] = ZipPlace(
            zip=zip5,
            city=record["city"],
            state=record["state"],
            latitude=latitude,
            longitude=longitude,
        )
        if record["zip_code_type"] == "STANDARD":
            standard.append(zip5)
        if record["zip_code_type"] in ("STANDARD", "PO BOX"):
            towns.append(zip5)
        for name in {record["city"], *record.get("acceptable_cities", ())}:
            cities.setdefault(_city_key(name), {}).setdefault(record["state"], []).append(zip5)
    return _Gazetteer(
        places=places, cities=cities, standard=sorted(standard), towns=sorted(towns)
    )


def _gazetteer() -> dict[str, ZipPlace | None]:
    """Every known ZIP; ``None`` for the ones recorded without a location (APO/FPO at 0,0)."""
    return _index().places


_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}


def _city_key(name: str) -> str:
    """A city name as typed or as listed, compared without case, accents, punctuation or
    the usual abbreviations ("St. Louis" is "Saint Louis")."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    words = re.sub(r"[^\w\s]", " ", text.replace("'", "")).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def normalize_zip(raw: object) -> str:
    """The 5-digit ZIP in ``raw`` (5 digits or ZIP+4, spaces around allowed).

    Raises ZipCodeError("Enter a 5-digit US ZIP code") for anything else.
    """
    if not isinstance(raw, str) or len(raw) > MAX_ZIP_INPUT_LENGTH:
        raise ZipCodeError(gettext("Enter a 5-digit US ZIP code."))
    match = ZIP_PATTERN.fullmatch(raw.strip())
    if match is None:
        raise ZipCodeError(gettext("Enter a 5-digit US ZIP code."))
    return match.group(1)


def zip_place(raw: object) -> ZipPlace:
    """The located place for a ZIP a client sent; raises ZipCodeError with the reason."""
    zip5 = normalize_zip(raw)
    places = _gazetteer()
    if zip5 not in places:
        raise ZipCodeError(gettext("Unknown ZIP code %(zip)s.") % {"zip": zip5})
    place = places[zip5]
    if place is None:
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
    cities = _index().cities
    city, state = _city_and_state(text)
    states = cities.get(_city_key(city), {})
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
                "example": f"{_index().places[states[likely][0]].city}, {likely}",
            }
        )
    (zips,) = states.values()
    return _city_centre(zips)


def _city_and_state(text: str) -> tuple[str, str | None]:
    """ "Austin, TX", "Austin TX", "Austin, Texas" -> ("Austin", "TX"); "Austin" -> ("Austin",
    None). A trailing word is a state only when it names one."""
    by_name = {_city_key(name): code for code, name in PLACE_NAMES.items()}
    head, comma, tail = text.rpartition(",")
    if comma:
        code = tail.strip().upper()
        if code in PLACE_NAMES:
            return head.strip(), code
        if _city_key(tail) in by_name:
            return head.strip(), by_name[_city_key(tail)]
        return text, None
    words = text.split()
    for size in (3, 2, 1):
        if len(words) > size:
            ending = " ".join(words[-size:])
            code = ending.upper() if size == 1 and ending.upper() in PLACE_NAMES else None
            code = code or by_name.get(_city_key(ending))
            if code:
                return " ".join(words[:-size]), code
    return text, None


def _city_centre(zips: list[str]) -> ZipPlace:
    """The area ZIP nearest the middle of a city's ZIP centroids (all of them when none is
    an area ZIP); ties go to the lowest ZIP."""
    places = _index().places
    standard = set(_index().standard)
    candidates = sorted(z for z in set(zips) if z in standard) or sorted(set(zips))
    vectors = unit_vectors(
        [places[z].latitude for z in candidates], [places[z].longitude for z in candidates]
    )
    middle = vectors.mean(axis=0)
    return places[candidates[int(np.argmin(np.linalg.norm(vectors - middle, axis=1)))]]


@functools.cache
def _centroid_tree() -> tuple[cKDTree, list[str]]:
    towns = _index().towns
    places = _index().places
    vectors = unit_vectors(
        [places[z].latitude for z in towns], [places[z].longitude for z in towns]
    )
    return cKDTree(vectors), towns


def nearest_zip_place(latitude: float, longitude: float) -> ZipPlace:
    """The town ZIP (street or PO box delivery) whose centroid is nearest to a point (a
    browser's location).

    Raises PlaceError when that is more than NEAREST_ZIP_MAX_MILES away: the point is not
    in a place the gazetteer covers.
    """
    tree, zips = _centroid_tree()
    _, position = tree.query(unit_vectors([latitude], [longitude])[0])
    place = _index().places[zips[int(position)]]
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
    """Every city with a street-delivery ZIP, the largest first (maps label them)."""
    places = _index().places
    grouped: dict[tuple[str, str], list[ZipPlace]] = {}
    for zip5 in _index().standard:
        place = places[zip5]
        grouped.setdefault((place.city, place.state), []).append(place)
    found = [
        City(
            name=name,
            state=state,
            latitude=sum(p.latitude for p in members) / len(members),
            longitude=sum(p.longitude for p in members) / len(members),
            zips=len(members),
        )
        for (name, state), members in grouped.items()
    ]
    return tuple(sorted(found, key=lambda city: (-city.zips, city.name, city.state)))


def located_zip_places() -> list[ZipPlace]:
    """Every ZIP with real coordinates, in ZIP order (demo data and benchmarks draw on it)."""
    return [place for _, place in sorted(_gazetteer().items()) if place is not None]


def warm_gazetteer() -> None:
    """Load the gazetteer now (about half a second) instead of on the first request."""
    _index()
