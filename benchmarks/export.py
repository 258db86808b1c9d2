"""Lead CSV export: rows per second and peak memory for 20,000 and 200,000 leads.

    .venv/bin/python benchmarks/export.py [--small 20000] [--large 200000]

Builds a fresh SQLite database in a temporary directory (migrations included), fills it
with leads that each have 3 matched specialists, then streams the export exactly as the
API does (marketing.selectors.lead_export_list -> marketing.exporting.lead_csv_stream)
into a byte counter. Each size runs twice: once timed, once under tracemalloc for the
peak of Python allocations. Constant memory means the peak for the large export is about
the peak for the small one, not ten times it.
"""

import argparse
import datetime
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.environment  # noqa: E402, F401

SPECIALISTS = 60
BATCH = 5000


def setup_django(directory: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(total: int) -> datetime.datetime:
    """``total`` leads, one a minute from a fixed start; returns the start."""
    from django.utils import timezone

    from leads.models import Lead, LeadMatch
    from specialists.models import Specialist, Treatment
    from specialists.validators import npi_check_digit_is_valid

    def npi(stem: int) -> str:
        base = f"1{stem:08d}"
        return next(f"{base}{d}" for d in range(10) if npi_check_digit_is_valid(f"{base}{d}"))

    specialists = Specialist.objects.bulk_create(
        Specialist(
            npi=npi(n),
            slug=f"bench-doctor-{n}",
            first_name="Jane",
            last_name=f"Doe{n}",
            credentials="MD",
            specialty="Orthopaedic spine surgery",
            address_line1=f"{n} Main St",
            city="New York",
            state="NY",
            zip="10001",
            latitude=40.75,
            longitude=-73.99,
            phone="+12125550100",
        )
        for n in range(1, SPECIALISTS + 1)
    )
    treatments = list(Treatment.objects.all())
    start = datetime.datetime(2024, 1, 1, tzinfo=timezone.get_current_timezone())
    now = timezone.now()
    for offset in range(0, total, BATCH):
        leads = [
            Lead(
                id=uuid.uuid4(),
                first_name=("José", "王小明", "=Mallory", "Ann")[n % 4],
                last_name=f"Patient{n}",
                email=f"patient{n}@example.com",
                phone="+12125550123",
                zip="10001",
                state="NY",
                city="New York",
                treatment=treatments[n % len(treatments)],
                consent=True,
                consent_text="You may contact me by phone, text and email.",
                consent_version="bench",
                consented_at=now,
                utm_source=("google", "facebook", "newsletter")[n % 3],
                utm_medium="cpc",
                utm_campaign="spring",
                dedupe_key=f"{n:064d}",
                created_at=start + datetime.timedelta(minutes=n),
                message="A message that is never exported. " * 10,
            )
            for n in range(offset, min(offset + BATCH, total))
        ]
        Lead.objects.bulk_create(leads)
        LeadMatch.objects.bulk_create(
            LeadMatch(
                lead=lead,
                specialist=specialists[(index + rank) % SPECIALISTS],
                rank=rank,
                distance=rank * 1.7,
            )
            for index, lead in enumerate(leads)
            for rank in (1, 2, 3)
        )
    return start


def export(rows: int, start: datetime.datetime) -> tuple[int, int]:
    """Stream the first ``rows`` leads; returns (rows written, bytes written)."""
    from leads.models import Lead
    from marketing.exporting import lead_csv_stream
    from marketing.models import ExportRecord
    from marketing.selectors import lead_export_list
    from marketing.services import export_record_start

    cutoff = start + datetime.timedelta(minutes=rows)
    record = export_record_start(
        user=None, actor="benchmark", channel=ExportRecord.Channel.COMMAND, filters={}
    )
    leads = lead_export_list(queryset=Lead.objects.filter(created_at__lt=cutoff))
    size = 0
    for text in lead_csv_stream(leads=leads, record=record):
        size += len(text.encode("utf-8"))
    record.refresh_from_db()
    assert record.completed
    return record.row_count, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--large", type=int, default=200_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        setup_django(Path(directory))
        began = time.perf_counter()
        start = fill(args.large)
        print(f"filled {args.large:,} leads (3 matches each) in {time.perf_counter() - began:.1f}s")

        peaks = {}
        for rows in (args.small, args.large):
            began = time.perf_counter()
            written, size = export(rows, start)
            elapsed = time.perf_counter() - began
            assert written == rows, (written, rows)

            tracemalloc.start()
            export(rows, start)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            peaks[rows] = peak

            max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{rows:>9,} rows: {elapsed:6.2f}s  {rows / elapsed:9,.0f} rows/s  "
                f"{size / 2**20:7.1f} MiB CSV  peak Python allocations "
                f"{peak / 2**20:6.2f} MiB  process max RSS so far {max_rss:6.1f} MiB"
            )
        ratio = peaks[args.large] / peaks[args.small]
        print(
            f"peak memory ratio {args.large:,}/{args.small:,} rows = {ratio:.2f} "
            f"(rows ratio {args.large / args.small:.0f}); constant memory means about 1"
        )


if __name__ == "__main__":
    main()
