"""Writes for marketing: the export audit trail and the anonymous search tally."""

import threading
import time
from collections import Counter

from django.conf import settings
from django.db import connection
from django.utils import timezone

from marketing.models import ExportRecord, SearchTally
from specialists.models import Treatment

UTM_SOURCE_MAX_LENGTH = SearchTally._meta.get_field("utm_source").max_length


def utm_source_normalize(raw: str | None) -> str:
    """utm_source as the funnel compares it: trimmed, lower-cased, capped in length."""
    return (raw or "").strip().lower()[:UTM_SOURCE_MAX_LENGTH]


_tally_lock = threading.Lock()
_tally_pending: Counter = Counter()
_tally_flushed_at = time.monotonic()


def search_record(*, treatment: Treatment | None, utm_source: str | None = "") -> None:
    """Count one valid step-1 ZIP search for today's funnel report.

    Call it once per search that produced a result page or a match response. Nothing
    about the person is kept: no ZIP, no IP, no user, only a counter per local day,
    treatment and normalised utm_source.

    Counts are buffered in the process and written at most every
    SEARCH_TALLY_FLUSH_SECONDS (0 writes on every call), so the search path does not pay a
    committed write per request; a process killed hard loses at most that window of
    counts, which a funnel report can afford.
    """
    global _tally_flushed_at
    bucket = (
        timezone.localdate(),
        treatment.pk if treatment is not None else None,
        utm_source_normalize(utm_source),
    )
    with _tally_lock:
        _tally_pending[bucket] += 1
        due = time.monotonic() - _tally_flushed_at >= settings.SEARCH_TALLY_FLUSH_SECONDS
        if not due:
            return
        pending = dict(_tally_pending)
        _tally_pending.clear()
        _tally_flushed_at = time.monotonic()
    _tally_write(pending)


def search_record_received(sender, *, treatment, utm_source=None, **kwargs) -> None:
    """``matcher.signals.search_performed`` receiver: count the search."""
    search_record(treatment=treatment, utm_source=utm_source)


def search_tally_flush() -> None:
    """Write this process's buffered search counts now (report pages and exit call it)."""
    global _tally_flushed_at
    with _tally_lock:
        pending = dict(_tally_pending)
        _tally_pending.clear()
        _tally_flushed_at = time.monotonic()
    if pending:
        _tally_write(pending)


def _tally_write(pending: dict[tuple, int]) -> None:
    """Add the counts, one upsert per bucket on the bucket's partial unique index."""
    table = connection.ops.quote_name(SearchTally._meta.db_table)
    count = connection.ops.quote_name("count")
    with connection.cursor() as cursor:
        for (day, treatment_id, utm_source), searches in pending.items():
            if treatment_id is None:
                bucket = '("day", "utm_source") WHERE "treatment_id" IS NULL'
            else:
                bucket = '("day", "treatment_id", "utm_source") WHERE "treatment_id" IS NOT NULL'
            cursor.execute(
                f'INSERT INTO {table} ("day", "treatment_id", "utm_source", {count}) '
                f"VALUES (%s, %s, %s, %s) "
                f"ON CONFLICT {bucket} DO UPDATE SET {count} = {table}.{count} + %s",
                [
                    connection.ops.adapt_datefield_value(day),
                    treatment_id,
                    utm_source,
                    searches,
                    searches,
                ],
            )


def export_record_start(
    *, user, actor: str, channel: ExportRecord.Channel, filters: dict
) -> ExportRecord:
    """Write the audit row before the first byte goes out, so even a failed export shows."""
    return ExportRecord.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        actor=actor[:150],
        channel=channel,
        filters=filters,
    )


def export_record_finish(*, record: ExportRecord, row_count: int, completed: bool) -> None:
    """Store how many lead rows went out and whether the stream reached its end."""
    record.row_count = row_count
    record.completed = completed
    record.finished_at = timezone.now()
    record.save(update_fields=["row_count", "completed", "finished_at"])
