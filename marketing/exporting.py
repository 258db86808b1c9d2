"""The lead CSV: one row generator behind the API, the command and the admin action.

Columns never move or get renamed; new ones are only ever appended. Every cell goes
through ``cell_neutralize`` (OWASP "CSV injection"): a value that a spreadsheet would
read as a formula gets a leading apostrophe. That includes E.164 phone numbers, which
start with "+": they come out as ``'+12125550100``, the same rule for every cell, so a
consumer strips one leading apostrophe from any cell to get the stored value back.

Memory stays flat whatever the number of rows: leads are read with a chunked iterator
(matches fetched in one query per chunk) and written out in small batches of lines.
"""

import csv
import itertools
from collections.abc import Callable, Iterable, Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from leads.models import TRACKING_FIELDS, Lead, LeadMatch
from marketing.models import ExportRecord
from marketing.selectors import FunnelRow
from marketing.services import export_record_finish
from specialists.models import Specialist

COLUMNS = (
    "id",
    "created_at",
    "first_name",
    "last_name",
    "email",
    "phone",
    "zip",
    "state",
    "treatment",
    "status",
    "matched_specialists",
    *TRACKING_FIELDS,
    "city",
    "language",
)

EXPORT_PERMISSION = "leads.export_lead"

FUNNEL_COLUMNS = (
    "day",
    "treatment",
    "utm_source",
    "searches",
    "leads",
    "conversion_rate",
    "contacted",
    "scheduled",
    "cant_help",
    "rerouted",
    "median_hours_to_first_contact",
)

CHUNK_SIZE = 2000
LINES_PER_WRITE = 500

# Spreadsheets start a formula (or DDE call) with these; tab and CR can hide one in a
# cell that looks blank at the front.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def cell_neutralize(value: str) -> str:
    """The value, with a leading apostrophe when a spreadsheet would evaluate it.

    Leading spaces or line breaks are looked through: some importers trim them.
    """
    if value.startswith(FORMULA_TRIGGERS) or value.lstrip(" \n").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


# Lead values read for a row: COLUMNS without matched_specialists, which comes apart.
LEAD_VALUES = tuple(
    "treatment__slug" if column == "treatment" else column
    for column in COLUMNS
    if column != "matched_specialists"
)


def matched_specialists_cells(lead_ids: list, labels: dict[int, str]) -> dict:
    """``{lead id: "Jane Doe, MD (NPI 1234567893, 0.4 mi); ..."}``, nearest first.

    The name is for people, the NPI identifies the specialist unambiguously; the distance
    is from the lead's ZIP centroid in miles. ``labels`` caches each specialist's
    "name (NPI" across chunks: it is bounded by the size of the directory, not the export.
    """
    matches = list(
        LeadMatch.objects.filter(lead_id__in=lead_ids)
        .order_by("lead_id", "rank")
        .values_list("lead_id", "specialist_id", "distance")
    )
    missing = {specialist_id for _, specialist_id, _ in matches} - labels.keys()
    if missing:
        specialists = Specialist.objects.filter(id__in=missing).only(
            "npi", "first_name", "last_name", "credentials"
        )
        labels.update((s.id, f"{s.display_name} (NPI {s.npi}") for s in specialists)
    cells: dict = {}
    for lead_id, specialist_id, distance in matches:
        cells.setdefault(lead_id, []).append(f"{labels[specialist_id]}, {distance:.1f} mi)")
    return {lead_id: "; ".join(parts) for lead_id, parts in cells.items()}


def lead_rows(leads: QuerySet[Lead]) -> Iterator[list[str]]:
    """Each lead's values in COLUMNS order (neutralised later, by the writer).

    Leads are read as plain values with a chunked iterator (a server-side cursor on
    PostgreSQL); their matches are fetched in one query per chunk.
    """
    stored = leads.values_list(*LEAD_VALUES).iterator(chunk_size=CHUNK_SIZE)
    labels: dict[int, str] = {}
    while chunk := list(itertools.islice(stored, CHUNK_SIZE)):
        matched = matched_specialists_cells([row[0] for row in chunk], labels)
        for lead_id, created_at, *values in chunk:
            # values: first_name ... state, treatment slug, status, utm_source ... language
            yield [
                str(lead_id),
                timezone.localtime(created_at).isoformat(timespec="seconds"),
                *values[:6],
                values[6] or "",
                values[7],
                matched.get(lead_id, ""),
                *values[8:],
            ]


class _LineBuffer:
    """A file-like object whose write() hands the formatted line back to the caller."""

    def write(self, line: str) -> str:
        return line


def csv_chunks(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[tuple[str, int]]:
    """CSV text (RFC 4180, CRLF line ends) in batches: ``(text, rows in it)``.

    The header comes first as its own batch (0 rows). Every cell is neutralised here, so
    no caller can forget it.
    """
    writer = csv.writer(_LineBuffer())
    yield writer.writerow([cell_neutralize(str(name)) for name in header]), 0
    batch = []
    for row in rows:
        batch.append(writer.writerow([cell_neutralize(str(cell)) for cell in row]))
        if len(batch) == LINES_PER_WRITE:
            yield "".join(batch), len(batch)
            batch.clear()
    if batch:
        yield "".join(batch), len(batch)


def csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV text for a header and rows, in batches of lines, every cell neutralised."""
    for text, _ in csv_chunks(header, rows):
        yield text


def lead_csv_stream(
    *,
    leads: QuerySet[Lead],
    record: ExportRecord,
    on_rows: Callable[[int], object] | None = None,
) -> Iterator[str]:
    """The lead CSV as text chunks; completes ``record`` when the stream ends.

    ``leads`` should come from ``marketing.selectors.lead_export_list``. ``on_rows`` is
    told how many lead rows each chunk held (a progress bar). When the consumer stops
    early (a dropped download), the record keeps the number of rows it took and stays
    marked incomplete.
    """
    sent = 0
    completed = False
    try:
        for text, count in csv_chunks(COLUMNS, lead_rows(leads)):
            sent += count
            yield text
            if on_rows is not None:
                on_rows(count)
        completed = True
    finally:
        export_record_finish(record=record, row_count=sent, completed=completed)


def funnel_csv_rows(rows: Iterable[FunnelRow]) -> Iterator[tuple]:
    """Funnel rows in FUNNEL_COLUMNS order; the rate has 4 decimals, blank without searches;
    the median hours 1 decimal, blank when nobody was reached."""
    for row in rows:
        rate = row.conversion_rate
        hours = row.median_hours_to_first_contact
        yield (
            row.day.isoformat(),
            row.treatment,
            row.utm_source,
            row.searches,
            row.leads,
            "" if rate is None else f"{rate:.4f}",
            row.contacted,
            row.scheduled,
            row.cant_help,
            row.rerouted,
            "" if hours is None else f"{hours:.1f}",
        )


def export_filename() -> str:
    return f"leads-{timezone.localtime():%Y%m%d-%H%M%S}.csv"


def user_may_export(user) -> bool:
    """Whether ``user`` may download leads: the API, the admin action and the funnel page."""
    return bool(user and user.is_authenticated and user.has_perm(EXPORT_PERMISSION))


def csv_download(lines: Iterable[str], *, filename: str) -> StreamingHttpResponse:
    """CSV text streamed as a file to save."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def lead_csv_download(*, leads: QuerySet[Lead], record: ExportRecord) -> StreamingHttpResponse:
    """The lead CSV (see ``lead_csv_stream``) as a file to save, the same from every channel."""
    response = csv_download(lead_csv_stream(leads=leads, record=record), filename=export_filename())
    # Patients' details: no browser or proxy cache may keep a copy.
    response["Cache-Control"] = "no-store"
    return response
