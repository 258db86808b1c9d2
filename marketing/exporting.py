"""The lead CSV: one row generator behind the API, the command and the admin action.

Columns never move or get renamed; new ones are only ever appended. Every cell goes
through ``cell_neutralize`` (OWASP "CSV injection"): a value that a spreadsheet would
read as a formula gets a leading apostrophe. That includes E.164 phone numbers, which
start with "+": they come out as ``'+12125550100``, the same rule for every cell, so a
consumer strips one leading apostrophe from any cell to get the stored value back.

Memory stays flat whatever the number of rows: leads are read with a chunked iterator
(matches prefetched per chunk) and written out in small batches of lines.
"""

import csv
from collections.abc import Callable, Iterable, Iterator

from django.db.models import QuerySet
from django.utils import timezone

from leads.models import Lead
from marketing.models import ExportRecord
from marketing.selectors import FunnelRow
from marketing.services import export_record_finish

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
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
    "city",
)

EXPORT_PERMISSION = "leads.export_lead"

FUNNEL_COLUMNS = ("day", "treatment", "utm_source", "searches", "leads", "conversion_rate")

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


def matched_specialists_cell(lead: Lead) -> str:
    """``Jane Doe, MD (NPI 1234567893, 0.4 mi); ...`` nearest first.

    The name is for people, the NPI identifies the specialist unambiguously; the distance
    is from the lead's ZIP centroid in miles.
    """
    return "; ".join(
        f"{match.specialist.display_name} (NPI {match.specialist.npi}, {match.distance:.1f} mi)"
        for match in lead.matches.all()
    )


def lead_row(lead: Lead) -> list[str]:
    """The lead's values in COLUMNS order (neutralised later, by the writer)."""
    return [
        str(lead.id),
        timezone.localtime(lead.created_at).isoformat(),
        lead.first_name,
        lead.last_name,
        lead.email,
        lead.phone,
        lead.zip,
        lead.state,
        lead.treatment.slug if lead.treatment_id else "",
        lead.status,
        matched_specialists_cell(lead),
        lead.utm_source,
        lead.utm_medium,
        lead.utm_campaign,
        lead.utm_term,
        lead.utm_content,
        lead.referrer,
        lead.city,
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
    rows = (lead_row(lead) for lead in leads.iterator(chunk_size=CHUNK_SIZE))
    try:
        for text, count in csv_chunks(COLUMNS, rows):
            sent += count
            yield text
            if on_rows is not None:
                on_rows(count)
        completed = True
    finally:
        export_record_finish(record=record, row_count=sent, completed=completed)


def funnel_csv_rows(rows: Iterable[FunnelRow]) -> Iterator[tuple]:
    """Funnel rows in FUNNEL_COLUMNS order; the rate has 4 decimals, blank without searches."""
    for row in rows:
        rate = row.conversion_rate
        yield (
            row.day.isoformat(),
            row.treatment,
            row.utm_source,
            row.searches,
            row.leads,
            "" if rate is None else f"{rate:.4f}",
        )


def export_filename() -> str:
    return f"leads-{timezone.localtime():%Y%m%d-%H%M%S}.csv"
