"""`manage.py import_providers FILE.csv [--dry-run]`: upsert provider rows by NPI."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from specialists.importing import ImportFileError, providers_import, utf8_lines


class Command(BaseCommand):
    help = (
        "Import providers from a CSV file (upsert by NPI). Rejected rows are listed on stderr "
        "as 'line N: reason'; the exit status is non-zero when any row was rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8, with the contract's header row")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and compare; write nothing"
        )

    def handle(self, *args, file, dry_run, **options):
        try:
            total = _count_data_lines(file)
            with (
                open(file, "rb") as binary,
                tqdm(total=total, unit="row", file=sys.stderr, leave=False) as bar,
            ):

                def progress(done: int) -> None:
                    bar.update(done - bar.n)

                report = providers_import(
                    csv_file=utf8_lines(binary), dry_run=dry_run, progress=progress
                )
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        except ImportFileError as error:
            if error.report is not None:
                self._report(error.report)
            raise CommandError(str(error)) from error
        self._report(report)
        if report.rejected:
            raise CommandError(f"{report.rejected} rows rejected.")

    def _report(self, report) -> None:
        for rejection in report.rejections:
            self.stderr.write(str(rejection))
        for name in report.ignored_columns:
            self.stderr.write(f"ignored unknown column {name!r}")
        self.stdout.write(report.summary())


def _count_data_lines(path: str) -> int:
    """Lines after the header, for the progress bar (quoted line breaks make it approximate)."""
    with open(path, "rb") as binary:
        return max(sum(1 for _ in binary) - 1, 0)
