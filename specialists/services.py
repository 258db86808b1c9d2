"""Writes to the directory that views, the admin, commands and the import share."""

from __future__ import annotations

import contextlib
import contextvars
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from geo.gazetteer import ZipPlace
from geo.geocoder import geocode_street_address

from .models import (
    LISTING_FACTS,
    BoardCertification,
    DirectoryChange,
    DirectoryVersion,
    FactSource,
    Specialist,
    fact_stamp,
)


@dataclass
class DirectoryScope:
    """What a change to the directory touched: the specialists and institutes whose search
    data or result card may differ, whether the catalog (treatments, insurance plans,
    boards) did, or ``everything`` when the writer cannot say."""

    specialists: set[int] = field(default_factory=set)
    institutes: set[int] = field(default_factory=set)
    catalog: bool = False
    everything: bool = False

    def __bool__(self) -> bool:
        return bool(self.specialists or self.institutes or self.catalog or self.everything)

    def add(self, other: DirectoryScope) -> None:
        self.specialists |= other.specialists
        self.institutes |= other.institutes
        self.catalog |= other.catalog
        self.everything |= other.everything


# Inside ``directory_changes_batched`` each change only adds to the block's scope; the block
# bumps the version once at its end instead of once per row.
_pending_change: contextvars.ContextVar[DirectoryScope | None] = contextvars.ContextVar(
    "directory_pending_change", default=None
)


def directory_changed(
    *,
    specialists: Iterable[int] | None = None,
    institutes: Iterable[int] | None = None,
    catalog: bool = False,
) -> None:
    """Record that search results or result cards may have changed, for every process that
    keeps them in memory: bump ``DirectoryVersion`` and log what changed in a
    ``DirectoryChange`` row, both in the caller's transaction, so a rolled-back change
    leaves no trace and a committed one is applied by every process within
    MATCH_INDEX_RECHECK_SECONDS.

    Name what changed: the specialists (any field, certificate or link of theirs), the
    institutes (their own fields; their specialists' cards follow), ``catalog``. Called with
    nothing named, the change counts as touching everything, and every process rebuilds
    its index from the database in the background, answering from its old one meanwhile.
    Named but empty lists record nothing.
    """
    scope = DirectoryScope(set(specialists or ()), set(institutes or ()), catalog)
    if specialists is None and institutes is None and not catalog:
        scope.everything = True
    if not scope:
        return
    pending = _pending_change.get()
    if pending is not None:
        pending.add(scope)
        return
    _version_bump(scope)


def _version_bump(scope: DirectoryScope) -> None:
    # Plain SQL: one statement both bumps and reads the number, holding the version row
    # until the transaction ends, which puts the logged versions in commit order.
    table = connection.ops.quote_name(DirectoryVersion._meta.db_table)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET number = number + 1 WHERE id = 1 RETURNING number")
        row = cursor.fetchone()
        if row is None:
            DirectoryVersion.objects.create(pk=1, number=1)
            row = (1,)
        DirectoryChange.objects.create(
            version=row[0],
            token=secrets.token_hex(8),
            specialist_ids=[] if scope.everything else sorted(scope.specialists),
            institute_ids=[] if scope.everything else sorted(scope.institutes),
            catalog=scope.catalog,
            everything=scope.everything,
        )


@contextlib.contextmanager
def directory_changes_batched() -> Iterator[None]:
    """Collapse every ``directory_changed`` inside the block into one bump at its end,
    recording everything they named."""
    pending = DirectoryScope()
    token = _pending_change.set(pending)
    try:
        yield
    finally:
        _pending_change.reset(token)
    if pending:
        _version_bump(pending)


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
        if model is Specialist:
            directory_changed(specialists=ids)
        else:
            directory_changed(institutes=ids)
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
