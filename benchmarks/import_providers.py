"""Provider import speed and memory: 20,000 and 100,000 generated rows, each into a fresh
SQLite database.

    .venv/bin/python benchmarks/import_providers.py [--rows 20000 100000]

Every size is imported twice, each time in its own process and fresh database: once timed
(rows per second, wall clock and CPU; peak RSS), once under tracemalloc (peak Python heap,
which tracemalloc slows down, so it is not timed). Flat memory means the Python heap peak
is about the same for both sizes; RSS also holds the gazetteer and SQLite's page cache,
which the import bounds at 64 MB. Rows per CPU second is printed because other work on a
shared machine slows the wall clock but not the CPU time. Target: 10,000 rows/s.
"""

import argparse
import csv
import datetime
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from fresh_process import child_arguments, child_run, django_setup, heap_ratio, rss_peak_mb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_ROWS_PER_SECOND = 10_000


def _write_csv(path: Path, rows: int) -> None:
    from specialists.management.commands.seed_demo import DEMO_COLUMNS, demo_rows

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=DEMO_COLUMNS)
        writer.writeheader()
        writer.writerows(
            demo_rows(
                specialists=rows,
                institutes=rows // 50,
                seed=7,
                today=datetime.date(2026, 1, 1),
            )
        )


def _child(csv_path: Path, database: Path, *, trace_memory: bool) -> None:
    """Import ``csv_path`` into a freshly migrated database; print one JSON line."""
    django_setup(database)
    from django.core.management import call_command

    from geo.gazetteer import warm_gazetteer
    from specialists.importing import providers_import, utf8_lines

    call_command("migrate", verbosity=0)
    warm_gazetteer()
    if trace_memory:
        tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    with csv_path.open("rb") as handle:
        report = providers_import(csv_file=utf8_lines(handle))
    result = {
        "rows": report.rows,
        "created": report.created,
        "rejected": report.rejected,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "rss_peak_mb": rss_peak_mb(),
    }
    if trace_memory:
        result["heap_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 100_000])
    child_arguments(parser)
    args = parser.parse_args()
    if args.child:
        _child(Path(args.child[0]), Path(args.child[1]), trace_memory=args.trace_memory)
        return

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        django_setup(scratch / "generator.sqlite3")
        heaps = []
        for rows in args.rows:
            csv_path = scratch / f"providers-{rows}.csv"
            _write_csv(csv_path, rows)
            timed = child_run(__file__, csv_path, scratch / f"{rows}-timed.db", trace_memory=False)
            traced = child_run(__file__, csv_path, scratch / f"{rows}-traced.db", trace_memory=True)
            heaps.append((rows, traced["heap_peak_mb"]))
            rate = timed["rows"] / timed["seconds"]
            cpu_rate = timed["rows"] / timed["cpu_seconds"]
            print(
                f"{timed['rows']:>7,} rows ({csv_path.stat().st_size / 2**20:.1f} MB CSV): "
                f"{timed['seconds']:.2f} s, {rate:,.0f} rows/s "
                f"({rate / TARGET_ROWS_PER_SECOND:.2f}x the {TARGET_ROWS_PER_SECOND:,} rows/s "
                f"target), {cpu_rate:,.0f} rows per CPU second; "
                f"peak Python heap {traced['heap_peak_mb']:.1f} MB, "
                f"peak RSS {timed['rss_peak_mb']:.0f} MB; "
                f"{timed['created']:,} created, {timed['rejected']} rejected"
            )
        if len(heaps) > 1:
            print(heap_ratio(heaps))


if __name__ == "__main__":
    main()
