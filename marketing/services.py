"""Writes for marketing: the export audit trail and the anonymous search tally."""

from django.db import connection
from django.utils import timezone

from marketing.models import ExportRecord, SearchTally
from specialists.models import Treatment

UTM_SOURCE_MAX_LENGTH = SearchTally._meta.get_field("utm_source").max_length


def utm_source_normalize(raw: str | None) -> str:
    """utm_source as the funnel compares it: trimmed, lower-cased, capped in length."""
    return (raw or "").strip().lower()[:UTM_SOURCE_MAX_LENGTH]


def search_record(*, treatment: Treatment | None, utm_source: str | None = "") -> None:
    """Count one valid step-1 ZIP search for today's funnel report.

    Call it once per search that produced a result page or a match response. Nothing
    about the person is kept: no ZIP, no IP, no user, only a counter per local day,
    treatment and normalised utm_source. One statement whatever the state of the bucket
    (an upsert on the bucket's partial unique index), so it is atomic under concurrency
    and costs the search path a single query.
    """
    table = connection.ops.quote_name(SearchTally._meta.db_table)
    count = connection.ops.quote_name("count")
    if treatment is None:
        bucket = '("day", "utm_source") WHERE "treatment_id" IS NULL'
    else:
        bucket = '("day", "treatment_id", "utm_source") WHERE "treatment_id" IS NOT NULL'
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ("day", "treatment_id", "utm_source", {count}) '
            f"VALUES (%s, %s, %s, 1) "
            f"ON CONFLICT {bucket} DO UPDATE SET {count} = {table}.{count} + 1",
            [
                connection.ops.adapt_datefield_value(timezone.localdate()),
                treatment.pk if treatment is not None else None,
                utm_source_normalize(utm_source),
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
