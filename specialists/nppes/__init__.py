"""The NPPES import: `manage.py import_nppes FILE.csv`.

CMS publishes every National Provider Identifier in one monthly CSV file (the "data
dissemination" file). The import streams it once, keeps individuals (entity type 1) with a
wanted taxonomy code and anyone already listed, and in batches, each its own transaction:

- creates unknown specialists as inactive drafts (NPPES records no board certification;
  an admin verifies one and activates the listing);
- brings the name, practice address, phone and taxonomy of listed specialists up to date,
  logging each changed field as a ``ListingChange``;
- deactivates listed specialists whose NPI NPPES lists as deactivated.

Memory stays flat in the file size: only a batch of rows is held, besides the directory's
own NPIs and a bounded cache of parsed phone numbers. The directory version moves once, at the end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import BinaryIO

from ..models import Specialist
from ..services import directory_changes_batched
from ..taxonomies import SPINE_TAXONOMIES
from .applying import batch_apply
from .parsing import REPEATED, NppesRow, row_parse
from .reading import NppesFileError, RecordScan, header_read, taxonomy_pattern
from .report import NppesReport

__all__ = ["NppesFileError", "NppesReport", "nppes_import"]

logger = logging.getLogger(__name__)

# Rows per transaction; a batch is what the import holds in memory.
BATCH_SIZE = 2000


def nppes_import(
    *,
    binary: BinaryIO,
    taxonomies: Collection[str] = tuple(SPINE_TAXONOMIES),
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> NppesReport:
    """Import the NPPES file open in ``binary`` (bytes, from its first line).

    ``taxonomies`` are the NUCC codes whose holders are imported (any of a record's 15
    taxonomy columns). ``progress`` is called with the bytes read so far. Raises
    NppesFileError, before anything is read past the header, when the header is not
    NPPES's. With ``dry_run`` everything is compared and counted, and nothing written.
    """
    wanted = frozenset(taxonomies)
    header = header_read(binary)
    listed = {npi.encode("ascii") for npi in Specialist.objects.values_list("npi", flat=True)}
    scan = RecordScan(
        binary, listed_npis=listed, wanted=taxonomy_pattern(wanted), progress=progress
    )
    report = NppesReport(dry_run=dry_run)
    # By NPI. NPPES lists an NPI once; a file repeating one in a later batch meets what
    # the first occurrence wrote, so no list of every NPI read is kept.
    batch: dict[str, NppesRow] = {}
    with directory_changes_batched():
        for record, is_listed in scan:
            row = row_parse(record, header, wanted=wanted, listed=is_listed)
            if row is None:
                continue
            if isinstance(row, str):
                report.skipped[row] += 1
                continue
            if row.npi in batch:
                report.skipped[REPEATED] += 1
                continue
            report.matched += 1
            batch[row.npi] = row
            if len(batch) >= BATCH_SIZE:
                batch_apply(list(batch.values()), report=report)
                batch = {}
        if batch:
            batch_apply(list(batch.values()), report=report)
    report.scanned = scan.scanned
    logger.info("NPPES import: %s", report.summary())
    return report
