"""Applying a batch of NPPES rows to the directory, in one transaction: new specialists
as inactive drafts, names, addresses, phones and taxonomies of listed ones brought up to
date with a change log, and deactivations."""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.utils import timezone

from ..importing.sql import chunks, rows_insert, specialists_where
from ..models import LISTING_FACTS, FactSource, ListingChange, Specialist, fact_stamp
from ..services import directory_changed, specialist_slug
from ..taxonomies import taxonomy_name
from .parsing import NppesRow, same_text
from .report import NppesReport

_STORED = (
    "id",
    "npi",
    "first_name",
    "last_name",
    *LISTING_FACTS["address"],
    "phone",
    "taxonomy_code",
    "active",
)
_NAME_FIELDS = ("first_name", "last_name")
# What a new listing takes from its row as it is.
_DRAFT_FIELDS = (
    *_NAME_FIELDS,
    "credentials",
    "taxonomy_code",
    *LISTING_FACTS["address"],
    "latitude",
    "longitude",
    "phone",
)


def batch_apply(rows: list[NppesRow], *, report: NppesReport) -> None:
    """Compare ``rows`` with what is stored, count the outcome in ``report`` and, unless it
    is a dry run, write it (calling ``directory_changed`` with the listings changed)."""
    stored = {
        values[1]: dict(zip(_STORED, values, strict=True))
        for values in specialists_where("npi", [row.npi for row in rows], _STORED)
    }
    now, today = timezone.now(), timezone.localdate()
    drafts: list[dict] = []
    updates: dict[int, dict] = {}
    deactivate: list[int] = []
    log: list[ListingChange] = []

    def logged(specialist_id: int, name: str, old, new) -> None:
        log.append(
            ListingChange(
                specialist_id=specialist_id,
                field=name,
                old_value=str(old)[:255],
                new_value=str(new)[:255],
                source=FactSource.NPPES,
                changed_at=now,
            )
        )

    for row in rows:
        current = stored.get(row.npi)
        if row.deactivated:
            if current and current["active"]:
                deactivate.append(current["id"])
                logged(current["id"], "active", "yes", "no (deactivated in NPPES)")
                report.deactivated += 1
            elif current:
                report.unchanged += 1
            continue
        if current is None:
            drafts.append(_draft(row, today=today))
            report.created += 1
            continue
        changes = _changes(current, row, today=today)
        if not changes:
            report.unchanged += 1
            continue
        report.updated += 1
        updates[current["id"]] = changes
        for name, new in changes.items():
            if name in current and current[name] != new:
                logged(current["id"], name, current[name], new)
                report.field_changes += 1
    if report.dry_run or not (drafts or updates or deactivate):
        return
    with transaction.atomic():
        if drafts:
            _drafts_insert(drafts, now=now)
        for specialist_id, changes in updates.items():
            Specialist.objects.filter(pk=specialist_id).update(**changes, updated_at=now)
        if deactivate:
            Specialist.objects.filter(pk__in=deactivate).update(active=False, updated_at=now)
        ListingChange.objects.bulk_create(log)
        # Drafts are inactive: no search shows them until an admin activates one (a save).
        directory_changed(specialists=[*updates, *deactivate])


def _changes(current: dict, row: NppesRow, *, today: datetime.date) -> dict:
    """The fields NPPES owns whose stored value differs, with their new values.

    An address is one fact: when any part differs, all of it is written and dated, and
    the listing is placed at the new ZIP's centre.
    """
    changes = {
        name: getattr(row, name)
        for name in _NAME_FIELDS
        if not same_text(current[name], getattr(row, name))
    }
    address = LISTING_FACTS["address"]
    if not all(same_text(current[name], getattr(row, name)) for name in address):
        changes.update({name: getattr(row, name) for name in address})
        changes.update(latitude=row.latitude, longitude=row.longitude, location_source="zip")
        changes.update(_address_stamp(row, today=today))
    if current["phone"] != row.phone:
        changes["phone"] = row.phone
    if row.taxonomy_code and current["taxonomy_code"] != row.taxonomy_code:
        changes["taxonomy_code"] = row.taxonomy_code
    return changes


def _draft(row: NppesRow, *, today: datetime.date) -> dict:
    """A new listing's fields, inactive until an admin has verified a board certification
    (NPPES does not record one) and activates it."""
    return dict(
        npi=row.npi,
        slug=specialist_slug(
            first_name=row.first_name,
            last_name=row.last_name,
            credentials=row.credentials,
            npi=row.npi,
        ),
        specialty=taxonomy_name(row.taxonomy_code),
        **{name: getattr(row, name) for name in _DRAFT_FIELDS},
        location_source="zip",
        active=False,
        source="nppes",
        **_address_stamp(row, today=today),
    )


def _address_stamp(row: NppesRow, *, today: datetime.date) -> dict:
    """NPPES vouches for an address as of the provider's last update of their record, so
    an address nobody has touched there for years shows up as stale at once."""
    on = min(row.last_updated_on, today) if row.last_updated_on else today
    return fact_stamp("address", source=FactSource.NPPES, on=on)


def _drafts_insert(drafts: list[dict], *, now: datetime.datetime) -> None:
    """Insert the drafts with one prepared statement; every field a draft does not set
    takes its default, from the model or the database. (``bulk_create`` spends about a
    millisecond a row compiling SQL value by value, more than the rest of the import.)"""
    given = drafts[0].keys()
    fields = [
        field
        for field in Specialist._meta.concrete_fields
        if not field.primary_key and (field.attname in given or not field.has_db_default())
    ]
    defaults = {
        field.attname: field.get_db_prep_save(
            now if getattr(field, "auto_now", False) else field.get_default(), connection
        )
        for field in fields
        if field.attname not in given
    }
    taken = set()
    for slugs in chunks([draft["slug"] for draft in drafts]):
        taken.update(Specialist.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    rows = []
    for draft in drafts:
        if draft["slug"] in taken:
            # An admin gave this slug to someone else; slugs never change once made.
            draft["slug"] = f"{draft['slug'][:150]}-nppes"
        rows.append(
            [
                field.get_db_prep_save(draft[field.attname], connection)
                if field.attname in draft
                else defaults[field.attname]
                for field in fields
            ]
        )
    rows_insert(Specialist, [field.name for field in fields], rows)
