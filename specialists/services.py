"""Writes to the directory that views, the admin, commands and the import share."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from geo.gazetteer import ZipPlace
from geo.geocoder import geocode_street_address

from .models import (
    LISTING_FACTS,
    BoardCertification,
    DirectoryVersion,
    FactSource,
    Specialist,
    fact_stamp,
)

# Inside ``directory_changes_batched`` the signal receivers only note that something changed;
# the block bumps the version once at its end instead of once per row.
_pending_change: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar(
    "directory_pending_change", default=None
)


def directory_changed() -> None:
    """Record that search results may have changed, for every process that caches them."""
    pending = _pending_change.get()
    if pending is not None:
        pending[0] = True
        return
    updated = DirectoryVersion.objects.filter(pk=1).update(number=F("number") + 1)
    if not updated:
        DirectoryVersion.objects.get_or_create(pk=1)


@contextlib.contextmanager
def directory_changes_batched() -> Iterator[None]:
    """Collapse every ``directory_changed`` inside the block into one bump at its end."""
    pending = [False]
    token = _pending_change.set(pending)
    try:
        yield
    finally:
        _pending_change.reset(token)
    if pending[0]:
        directory_changed()


def practice_location_resolve(
    *,
    line1: str,
    city: str,
    place: ZipPlace,
    latitude: float | None = None,
    longitude: float | None = None,
    use_geocoder: bool = True,
) -> tuple[float, float, str]:
    """Coordinates for a practice and where they came from (a ``location_source`` value).

    Explicit coordinates win; else the configured street geocoder (GEOCODER, off by
    default, answers cached in the database); else the ZIP code's centroid.
    """
    if latitude is not None and longitude is not None:
        return latitude, longitude, "explicit"
    if use_geocoder:
        found = geocode_street_address(line1=line1, city=city, state=place.state, zip=place.zip)
        if found is not None:
            return found[0], found[1], "geocoder"
    return place.latitude, place.longitude, "zip"


def listings_set_active(*, queryset: models.QuerySet, active: bool, user) -> int:
    """Activate or deactivate specialists or institutes; returns how many rows changed.

    Records who did it on each row and in the admin history, and bumps the directory
    version once.
    """
    with transaction.atomic():
        changing = queryset.exclude(active=active)
        ids = list(changing.values_list("pk", flat=True))
        if not ids:
            return 0
        model = queryset.model
        model.objects.filter(pk__in=ids).update(
            active=active, updated_by=user, updated_at=timezone.now()
        )
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=model.objects.filter(pk__in=ids),
            action_flag=CHANGE,
            change_message=[{"changed": {"fields": ["Active"]}}],
        )
        directory_changed()
    return len(ids)


def listing_facts_confirm(*, queryset: models.QuerySet, user) -> int:
    """Operations confirmed every fact of these specialists' listings today: each listing
    fact and each current certificate is dated today with the admin as its source, and the
    admin history says so. Returns how many listings; search results do not change."""
    today = timezone.localdate()
    stamps = {}
    for fact in LISTING_FACTS:
        stamps.update(fact_stamp(fact, source=FactSource.ADMIN, on=today))
    with transaction.atomic():
        listings = Specialist.objects.filter(pk__in=queryset.values("pk"))
        count = listings.update(**stamps, updated_by=user, updated_at=timezone.now())
        BoardCertification.objects.current(today).filter(specialist__in=listings).update(
            verified_on=today, verified_source=FactSource.ADMIN
        )
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=listings,
            action_flag=CHANGE,
            change_message="Confirmed every listing fact.",
        )
    return count


def specialist_slug(*, first_name: str, last_name: str, credentials: str, npi: str) -> str:
    """A new specialist's slug, made once and never changed: name, credentials and NPI,
    the name part cut so the NPI always fits."""
    name = slugify(f"{first_name} {last_name} {credentials}")
    return f"{name[:148].strip('-')}-{npi}" if name else npi
