"""Template helpers for listings on the patient pages: languages by name, and the link that
opens a practice in the patient's maps app."""

from urllib.parse import urlencode

from django import template

from specialists.facts import language_codes
from specialists.facts import language_names as _language_names

register = template.Library()

# A universal maps link: Google Maps' app on Android and iOS when installed, its web page
# otherwise; search.js points Apple devices at Apple Maps instead. Nothing loads until a
# patient follows it.
DIRECTIONS_URL = "https://www.google.com/maps/dir/?"


@register.filter
def language_names(stored: str) -> list[str]:
    return _language_names(stored or "")


@register.filter
def languages_to_mention(stored: str) -> list[str]:
    """A result card's languages: none when English is all, since everyone speaks it."""
    return [] if language_codes(stored or "") in ([], ["en"]) else _language_names(stored)


@register.filter
def directions_url(listing) -> str:
    """Directions to a listing's practice address."""
    address = ", ".join(
        [*listing.address_lines, listing.city, f"{listing.state} {listing.zip}"]
    )
    return DIRECTIONS_URL + urlencode({"api": "1", "destination": address})


@register.filter
def get_item(mapping, key):
    """``mapping[key]``, or None: for controls drawn in a loop over their names."""
    return mapping.get(key) if hasattr(mapping, "get") else None
