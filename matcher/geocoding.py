"""ZIP codes to places, and provider street addresses to coordinates.

The only module that imports the gazetteer (``zipcodes``) or geopy. ZIP lookups never
touch the network: the offline gazetteer is loaded once into a dict keyed by 5-digit ZIP.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

from django.conf import settings

ZIP_PATTERN = re.compile(r"(\d{5})(?:-?\d{4})?", re.ASCII)
MAX_ZIP_INPUT_LENGTH = 20


class ZipCodeError(ValueError):
    """A ZIP code a patient typed that cannot be used; the message is fit to show them."""


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
        raise ZipCodeError("Enter a 5-digit US ZIP code.")
    match = ZIP_PATTERN.fullmatch(raw.strip())
    if match is None:
        raise ZipCodeError("Enter a 5-digit US ZIP code.")
    return match.group(1)


def zip_place(raw: object) -> ZipPlace:
    """The located place for a ZIP a client sent; raises ZipCodeError with the reason."""
    zip5 = normalize_zip(raw)
    places = _gazetteer()
    if zip5 not in places:
        raise ZipCodeError(f"Unknown ZIP code {zip5}.")
    place = places[zip5]
    if place is None:
        raise ZipCodeError(f"ZIP code {zip5} has no known location.")
    return place


def located_zip_places() -> list[ZipPlace]:
    """Every ZIP with real coordinates, in ZIP order (demo data and benchmarks draw on it)."""
    return [place for _, place in sorted(_gazetteer().items()) if place is not None]


def warm_gazetteer() -> None:
    """Load the gazetteer now (about half a second) instead of on the first request."""
    _gazetteer()


# --- Street addresses (provider import) -------------------------------------------------

_geocoder_lock = threading.Lock()


@functools.cache
def _rate_limited_geocode():
    """geopy's geocoder behind its RateLimiter, or None when GEOCODER is off."""
    name = settings.GEOCODER.strip().lower()
    if not name:
        return None
    from geopy.extra.rate_limiter import RateLimiter
    from geopy.geocoders import get_geocoder_for_service

    geocoder_class = get_geocoder_for_service(name)
    geocoder = geocoder_class(user_agent=settings.GEOCODER_USER_AGENT, timeout=10)
    return RateLimiter(
        geocoder.geocode,
        min_delay_seconds=settings.GEOCODER_MIN_DELAY_SECONDS,
        max_retries=2,
        swallow_exceptions=True,
    )


def address_key(*, line1: str, city: str, state: str, zip: str) -> str:
    return ", ".join(part.strip().upper() for part in (line1, city, state, zip) if part.strip())


def geocode_street_address(
    *, line1: str, city: str, state: str, zip: str
) -> tuple[float, float] | None:
    """Coordinates of a US street address from the configured geocoder, cached in the database.

    Returns None when no geocoder is configured or it found nothing; callers then fall back
    to the ZIP centroid. Each distinct address reaches the remote service at most once.
    """
    geocode = _rate_limited_geocode()
    if geocode is None:
        return None
    from specialists.models import GeocodedAddress

    key = address_key(line1=line1, city=city, state=state, zip=zip)
    cached = GeocodedAddress.objects.filter(address_key=key).first()
    if cached is None:
        with _geocoder_lock:
            location = geocode(key + ", USA", country_codes="us", exactly_one=True)
        cached, _ = GeocodedAddress.objects.get_or_create(
            address_key=key,
            defaults={
                "latitude": location.latitude if location else None,
                "longitude": location.longitude if location else None,
                "geocoder": settings.GEOCODER,
            },
        )
    if cached.latitude is None:
        return None
    return cached.latitude, cached.longitude
