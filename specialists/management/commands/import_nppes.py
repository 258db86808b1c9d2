"""`manage.py import_nppes FILE.csv [--taxonomy CODES] [--dry-run]`: bring the directory in
line with the CMS NPPES data dissemination file."""

import os
import re
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from specialists.nppes import NppesFileError, nppes_import
from specialists.taxonomies import SPINE_TAXONOMIES

# NUCC taxonomy codes: ten letters and digits, the last an X.
_TAXONOMY_CODE = re.compile(r"[0-9A-Z]{9}X", re.ASCII)


class Command(BaseCommand):
    help = (
        "Import individuals from the NPPES monthly file (npidata_pfile_*.csv): new spine "
        "specialists as inactive drafts, name, address, phone and taxonomy updates of listed "
        "ones (logged), and deactivations. Skipped rows are counted per reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the NPPES CSV file, as downloaded from CMS")
        parser.add_argument(
            "--taxonomy",
            metavar="CODES",
            help="comma-separated NUCC taxonomy codes to import (default: the spine codes "
            + ", ".join(SPINE_TAXONOMIES)
            + ")",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="compare and count; write nothing"
        )

    def handle(self, *args, file, taxonomy, dry_run, **options):
        codes = _taxonomy_codes(taxonomy) if taxonomy else tuple(SPINE_TAXONOMIES)
        try:
            with (
                open(file, "rb") as binary,
                tqdm(
                    total=os.path.getsize(file),
                    unit="B",
                    unit_scale=True,
                    file=sys.stderr,
                    leave=False,
                ) as bar,
            ):

                def progress(done: int) -> None:
                    bar.update(done - bar.n)

                report = nppes_import(
                    binary=binary, taxonomies=codes, dry_run=dry_run, progress=progress
                )
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        except NppesFileError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(report.summary())


def _taxonomy_codes(raw: str) -> tuple[str, ...]:
    codes = tuple(code.strip().upper() for code in raw.split(",") if code.strip())
    bad = [code for code in codes if not _TAXONOMY_CODE.fullmatch(code)]
    if bad or not codes:
        raise CommandError(
            "--taxonomy takes NUCC codes such as 207XS0117X, separated by commas; "
            f"not {', '.join(bad) or 'an empty list'}."
        )
    return codes
