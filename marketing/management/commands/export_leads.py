import datetime
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from tqdm import tqdm

from core.audit import operator_login
from marketing.exporting import FUNNEL_COLUMNS, csv_lines, funnel_csv_rows, lead_csv_stream
from marketing.filters import FILTER_NAMES, export_filters_validate
from marketing.models import ExportRecord
from marketing.selectors import funnel_report, lead_export_list
from marketing.services import export_record_start, search_tally_flush

# Below this many rows the export is over before a bar would say anything useful.
PROGRESS_MIN_ROWS = 5000
FUNNEL_DEFAULT_DAYS = 30


def option_name(parameter: str) -> str:
    return "--" + parameter.replace("_", "-")


class Command(BaseCommand):
    help = (
        "Write the marketing lead CSV (the same as GET /api/v1/leads/export/) to stdout or "
        "--output; with --report funnel, the searches-to-leads funnel per day, treatment "
        "and utm_source instead (dates default to the last 30 days)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--created-after", metavar="YYYY-MM-DD")
        parser.add_argument("--created-before", metavar="YYYY-MM-DD")
        parser.add_argument("--treatment", metavar="SLUG")
        parser.add_argument("--state", metavar="XX")
        parser.add_argument("--status", metavar="STATUS")
        parser.add_argument("--output", metavar="FILE", help="write here instead of stdout")
        parser.add_argument("--report", choices=["funnel"])

    def handle(self, *args, **options):
        raw = {name: options[name] for name in FILTER_NAMES if options[name] is not None}
        if options["report"] == "funnel":
            for name in ("state", "status"):
                if name in raw:
                    raise CommandError(f"{option_name(name)} does not apply to --report funnel.")
        try:
            filters = export_filters_validate(data=raw)
        except ValidationError as error:
            raise CommandError(
                "; ".join(
                    f"{option_name(name)}: {' '.join(str(m) for m in messages)}"
                    for name, messages in error.detail.items()
                )
            ) from None
        output = self.open_output(options["output"])
        try:
            if options["report"] == "funnel":
                self.write_funnel(output, filters)
            else:
                self.write_leads(output, filters)
        finally:
            if output is not self.stdout:
                output.close()

    def open_output(self, path: str | None):
        if not path:
            # Names in any script must survive a terminal or pipe whose locale is not UTF-8.
            reconfigure = getattr(self.stdout, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(encoding="utf-8")
            return self.stdout
        try:
            # newline="" keeps the CSV's own CRLF line ends byte-identical to the API's.
            return open(path, "w", encoding="utf-8", newline="")
        except OSError as error:
            raise CommandError(f"--output: cannot write {path}: {error.strerror}.") from None

    def write(self, output, text: str) -> None:
        if output is self.stdout:
            output.write(text, ending="")
        else:
            output.write(text)

    def write_leads(self, output, filters) -> None:
        leads = lead_export_list(filters=filters)
        total = leads.count()
        record = export_record_start(
            user=None,
            actor=operator_login(),
            channel=ExportRecord.Channel.COMMAND,
            filters=filters.as_json(),
        )
        with tqdm(
            total=total,
            unit="lead",
            file=sys.stderr,
            disable=total < PROGRESS_MIN_ROWS,
        ) as progress:
            for text in lead_csv_stream(leads=leads, record=record, on_rows=progress.update):
                self.write(output, text)
        record.refresh_from_db()
        self.stderr.write(f"Exported {record.row_count} leads (export #{record.pk}).")

    def write_funnel(self, output, filters) -> None:
        end = filters.created_before or timezone.localdate()
        # Counted in ordinals so an --created-before near 0001-01-01 cannot overflow.
        start = filters.created_after or datetime.date.fromordinal(
            max(1, end.toordinal() - (FUNNEL_DEFAULT_DAYS - 1))
        )
        search_tally_flush()
        rows = funnel_report(start=start, end=end, treatment=filters.treatment)
        for text in csv_lines(FUNNEL_COLUMNS, funnel_csv_rows(rows)):
            self.write(output, text)
