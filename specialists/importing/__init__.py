"""The provider CSV import: the one code path behind `manage.py import_providers`, the admin
upload and `manage.py seed_demo`.

The file is streamed row by row; rows are validated completely, then written in batches,
each batch in its own transaction, so memory stays flat in the file size and a crash never
leaves half a row. Rows are upserted by NPI; a row equal to what is stored is not written at
all, so re-importing a file changes nothing.

``reading`` turns the file into rows with line numbers, ``parsing`` a row into a typed one,
``planning`` compares a batch with what is stored, ``writing`` writes it; ``run`` drives
them and keeps the ``report``.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterable

from .parsing import Catalog
from .reading import (
    COLUMNS,
    OPTIONAL_EXTRA_COLUMNS,
    REQUIRED_COLUMNS,
    DataRows,
    ImportFileError,
    header_read,
    utf8_lines,
)
from .report import ImportReport, RowRejection
from .run import ImportRun
from .sql import sqlite_page_cache

__all__ = [
    "BATCH_SIZE",
    "COLUMNS",
    "OPTIONAL_EXTRA_COLUMNS",
    "REQUIRED_COLUMNS",
    "SQLITE_IMPORT_CACHE_KIB",
    "ImportFileError",
    "ImportReport",
    "RowRejection",
    "providers_import",
    "utf8_lines",
]

logger = logging.getLogger(__name__)

# Rows per transaction. Each commit rewrites the index pages the batch touched, so larger
# batches write less; 5,000 validated rows hold a few megabytes.
BATCH_SIZE = 5000
# SQLite's default 2 MB page cache is smaller than the specialist table's indexes past about
# 20,000 listings; every random index insert would then re-read pages from the OS. The
# import raises it to this bound for its own duration.
SQLITE_IMPORT_CACHE_KIB = 64 * 1024


def providers_import(
    *,
    csv_file: Iterable[str],
    dry_run: bool = False,
    user=None,
    source: str = "import",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate and upsert (by NPI) every provider row of ``csv_file`` (a text stream, or
    ``utf8_lines`` of a binary one).

    Good rows are written even when others are rejected; ``report.rejections`` holds each
    rejected row's line number and reason. With ``dry_run`` everything is validated and
    compared, and nothing is written. ``progress`` is called with the number of rows done
    after each batch. Raises ImportFileError when the header or the encoding is unusable.
    """
    reader = csv.reader(csv_file)
    header = header_read(reader)
    report = ImportReport(dry_run=dry_run, ignored_columns=header.ignored_columns)
    try:
        with sqlite_page_cache(SQLITE_IMPORT_CACHE_KIB):
            run = ImportRun(
                report=report,
                catalog=Catalog.load(),
                user=user,
                source=source,
                progress=progress,
                batch_size=BATCH_SIZE,
            )
            run.rows_import(DataRows(reader), header)
    finally:
        report.rejections.sort(key=lambda rejection: rejection.line)
    logger.info("provider import (source=%s): %s", source, report.summary())
    return report
