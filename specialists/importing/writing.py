"""Writing a planned batch: new institutes, the specialists' upsert, their certifications
and treatments, all in one transaction."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from ..models import (
    LISTING_FACTS,
    BoardCertification,
    FactSource,
    Institute,
    Specialist,
    fact_stamp,
)
from ..services import directory_changed, directory_changes_batched, specialist_slug
from .parsing import Catalog, ProviderRow
from .planning import COMPARED_FIELDS, OPTIONAL_FIELDS, BatchPlan
from .sql import chunks, column, rows_insert, specialists_where, table

# A new listing's value for an optional column the file lacks.
_OPTIONAL_DEFAULTS = {
    name: Specialist._meta.get_field(name).get_default() for name in OPTIONAL_FIELDS
}
# Written on every insert or update, in this order; the compared fields as model field names.
_UPDATED_FIELDS = (
    *OPTIONAL_FIELDS,
    "updated_at",
    "updated_by",
    *(name.removesuffix("_id") for name in COMPARED_FIELDS),
)


def batch_write(plan: BatchPlan, *, catalog: Catalog, user, source: str) -> None:
    """Write the plan's rows and bump the directory version once, in one transaction.

    The institutes created move from ``catalog.pending_institutes`` to its institutes.
    """
    with transaction.atomic(), directory_changes_batched():
        created = _institutes_resolve(plan, catalog=catalog, user=user, source=source)
        ids = _specialists_upsert(plan, user=user)
        _facts_stamp(plan, ids)
        _certifications_sync(plan, ids)
        _links_sync(plan, ids, "treatments", lambda row: row.treatment_ids)
        _links_sync(plan, ids, "insurance", lambda row: row.insurance_ids)
        directory_changed(
            specialists=[ids[row.npi] for row in plan.to_write],
            institutes=[institute.pk for institute in created],
        )


def _institutes_resolve(
    plan: BatchPlan, *, catalog: Catalog, user, source: str
) -> list[Institute]:
    """Create the plan's new institutes and point every row at its institute's id; returns
    the institutes created."""
    created = []
    if plan.new_institutes:
        created = _institutes_create(list(plan.new_institutes.values()), user=user, source=source)
        for key, institute in zip(plan.new_institutes, created, strict=True):
            catalog.institutes[key] = institute.pk
            del catalog.pending_institutes[key]
    for row in plan.to_write:
        if row.institute_key:
            row.values["institute_id"] = catalog.institutes[row.institute_key]
    return created


def _specialists_upsert(plan: BatchPlan, *, user) -> dict[str, int]:
    """Insert or update every row's specialist; their ids by NPI."""
    rows, existing = plan.to_write, plan.stored.specialists
    created_slugs = {
        row.npi: specialist_slug(
            first_name=row.values["first_name"],
            last_name=row.values["last_name"],
            credentials=row.values["credentials"],
            npi=row.npi,
        )
        for row in rows
        if row.npi not in existing
    }
    taken = {slug for (slug,) in specialists_where("slug", list(created_slugs.values()), ("slug",))}
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    user_id = user.pk if user is not None else None
    specialists = []
    for row in rows:
        stored = existing.get(row.npi)
        slug = stored["slug"] if stored else created_slugs[row.npi]
        if slug in taken:
            slug = f"{slug[:150]}-{row.line}"
        kept = [
            row.optional[name]
            if name in row.optional
            else (stored[name] if stored else _OPTIONAL_DEFAULTS[name])
            for name in OPTIONAL_FIELDS
        ]
        values = row.values
        specialists.append(
            (row.npi, slug, stamp, *kept, stamp, user_id, *[values[f] for f in COMPARED_FIELDS])
        )
    rows_insert(
        Specialist,
        ("npi", "slug", "created_at", *_UPDATED_FIELDS),
        specialists,
        upsert_on="npi",
        update=_UPDATED_FIELDS,
    )
    ids = {stored["npi"]: stored["id"] for stored in existing.values()}
    created_npis = [row.npi for row in rows if row.npi not in existing]
    ids.update(specialists_where("npi", created_npis, ("npi", "id")))
    return ids


def _facts_stamp(plan: BatchPlan, ids: dict[str, int]) -> None:
    """Date the listing facts the batch writes: all of a new listing's, and those of a
    stored one whose value the file changes. Rows that changed the same facts share one
    UPDATE per chunk."""
    by_facts: dict[tuple[str, ...], list[int]] = {}
    for row in plan.to_write:
        specialist_id = ids[row.npi]
        stored = plan.stored.specialists.get(row.npi)
        changed = tuple(
            fact
            for fact, fields in LISTING_FACTS.items()
            if stored is None
            or (
                plan.stored.treatments.get(specialist_id, set()) != row.treatment_ids
                if fact == "treatments"
                else any(stored[name] != row.values[name] for name in fields)
            )
        )
        if changed:
            by_facts.setdefault(changed, []).append(specialist_id)
    today = timezone.localdate()
    with connection.cursor() as cursor:
        for facts, specialist_ids in by_facts.items():
            stamp = {}
            for fact in facts:
                stamp.update(fact_stamp(fact, source=FactSource.IMPORT, on=today))
            assignments = ", ".join(f"{column(Specialist, name)} = %s" for name in stamp)
            values = [
                connection.ops.adapt_datefield_value(value)
                if isinstance(value, datetime.date)
                else value
                for value in stamp.values()
            ]
            for chunk in chunks(specialist_ids):
                cursor.execute(
                    f"UPDATE {table(Specialist)} SET {assignments} "
                    f"WHERE {column(Specialist, 'id')} IN ({', '.join(['%s'] * len(chunk))})",
                    [*values, *chunk],
                )


def _certifications_sync(plan: BatchPlan, ids: dict[str, int]) -> None:
    """Make each row's stored certifications exactly the row's, touching only what differs;
    a certificate created or changed is dated as confirmed by the import today."""
    adapt_date = connection.ops.adapt_datefield_value
    today = adapt_date(timezone.localdate())
    create, update, delete = [], [], []
    for row in plan.to_write:
        specialist_id = ids[row.npi]
        stored = plan.stored.certifications.get(specialist_id, {})
        for board_id, expires_on in row.certifications.items():
            current = stored.get(board_id)
            if current is None:
                create.append(
                    (specialist_id, board_id, adapt_date(expires_on), today, FactSource.IMPORT)
                )
            elif current["expires_on"] != expires_on:
                update.append((adapt_date(expires_on), today, FactSource.IMPORT, current["id"]))
        delete += [
            current["id"]
            for board_id, current in stored.items()
            if board_id not in row.certifications
        ]
    for chunk in chunks(delete):
        BoardCertification.objects.filter(id__in=chunk).delete()
    if update:
        assignments = ", ".join(
            f"{column(BoardCertification, name)} = %s"
            for name in ("expires_on", "verified_on", "verified_source")
        )
        pk = column(BoardCertification, "id")
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table(BoardCertification)} SET {assignments} WHERE {pk} = %s", update
            )
    rows_insert(
        BoardCertification,
        ("specialist", "board", "expires_on", "verified_on", "verified_source"),
        create,
    )


def _links_sync(
    plan: BatchPlan,
    ids: dict[str, int],
    relation: str,
    wanted_ids: Callable[[ProviderRow], frozenset[int] | None],
) -> None:
    """Replace a specialist's many-to-many set (``treatments``, ``insurance``: the relation
    and StoredListings share the name) where the row's differs from the stored one; a row
    whose file lacks the column (None) keeps its own."""
    field = Specialist._meta.get_field(relation)
    through, target = field.remote_field.through, field.m2m_reverse_field_name()
    stored = getattr(plan.stored, relation)
    replace: list[int] = []
    links = []
    for row in plan.to_write:
        wanted = wanted_ids(row)
        specialist_id = ids[row.npi]
        if wanted is not None and stored.get(specialist_id, set()) != wanted:
            replace.append(specialist_id)
            links += [(specialist_id, target_id) for target_id in wanted]
    for chunk in chunks(replace):
        through.objects.filter(specialist_id__in=chunk).delete()
    rows_insert(through, ("specialist", target), links)


def _institutes_create(rows: list[ProviderRow], *, user, source: str) -> list[Institute]:
    """New institutes, each placed at the address of the first row that names it."""
    institutes = []
    for row, slug in zip(rows, _institute_slugs(rows), strict=True):
        values = row.values
        institutes.append(
            Institute(
                name=row.institute_name,
                slug=slug,
                phone=values["phone"],
                address_line1=values["address_line1"],
                address_line2=values["address_line2"],
                city=values["city"],
                state=values["state"],
                zip=values["zip"],
                latitude=values["latitude"],
                longitude=values["longitude"],
                location_source=values["location_source"],
                source=source,
                updated_by=user,
            )
        )
    return Institute.objects.bulk_create(institutes)


def _institute_slugs(rows: list[ProviderRow]) -> list[str]:
    """A free slug per row's institute name: the name's, else the first free ``-2``, ``-3``…"""
    bases = [slugify(row.institute_name)[:130] or "institute" for row in rows]
    taken = set()
    for chunk in chunks(sorted(set(bases))):
        taken.update(Institute.objects.filter(slug__in=chunk).values_list("slug", flat=True))
    for base in taken.copy():
        taken.update(
            Institute.objects.filter(slug__startswith=f"{base}-").values_list("slug", flat=True)
        )
    slugs = []
    for base in bases:
        slug, suffix = base, 2
        while slug in taken:
            slug, suffix = f"{base}-{suffix}", suffix + 1
        taken.add(slug)
        slugs.append(slug)
    return slugs
