"""Provider street addresses to coordinates, through geopy when GEOCODER names a service.

Off by default: nothing may need the network at run time. Answers are cached in the
database (``GeocodedAddress``), so each distinct address reaches the service at most once.
"""

from __future__ import annotations

import functools
import threading

from django.conf import settings

from .models import GeocodedAddress

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
