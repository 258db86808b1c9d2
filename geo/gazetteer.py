"""ZIP codes to places, from the offline gazetteer.

The only module that imports ``zipcodes``. ZIP lookups never touch the network: the
gazetteer is loaded once into a dict keyed by 5-digit ZIP.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from django.utils.translation import gettext

ZIP_PATTERN = re.compile(r"(\d{5})(?:-?\d{4})?", re.ASCII)
MAX_ZIP_INPUT_LENGTH = 20


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


@functools.cache
def _gazetteer() -> dict[str, ZipPlace | None]:
    """Every known ZIP; ``None`` for the ones recorded without a location (APO/FPO at 0,0)."""
    import zipcodes

    places: dict[str, ZipPlace | None] = {}
    for record in zipcodes.list_all():
        latitude, longitude = float(record["lat"]), float(record["long"])
        if latitude == 0 and longitude == 0:
            places[record["zip_code"]] = None
        else:
            places[record["zip_code"]] = ZipPlace(
                zip=record["zip_code"],
                city=record["city"],
                state=record["state"],
                latitude=latitude,
                longitude=longitude,
            )
    return places


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


def located_zip_places() -> list[ZipPlace]:
    """Every ZIP with real coordinates, in ZIP order (demo data and benchmarks draw on it)."""
    return [place for _, place in sorted(_gazetteer().items()) if place is not None]


def warm_gazetteer() -> None:
    """Load the gazetteer now (about half a second) instead of on the first request."""
    _gazetteer()
