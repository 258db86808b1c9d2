"""Provider import speed and memory: 20,000 and 100,000 generated rows, each into a fresh
SQLite database.

    .venv/bin/python benchmarks/import_providers.py [--rows 20000 100000]

Wall-clock rate is the figure that counts; rows per CPU second is printed too because
other work on a shared machine slows the wall clock but not the CPU time.

Each size runs in its own process (a fresh database, a fresh peak-RSS counter) and prints
rows per second, peak resident memory and the memory the import itself added. Flat memory
means the two sizes' import figures are about the same. Target: 10,000 rows/s.
"""

import argparse
import csv
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_ROWS_PER_SECOND = 10_000


def _setup_django(database: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _write_csv(path: Path, rows: int) -> None:
    from specialists.importing import COLUMNS
    from specialists.management.commands.seed_demo import demo_rows

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*COLUMNS, "email"])
        writer.writeheader()
        writer.writerows(
            demo_rows(
                specialists=rows,
                institutes=rows // 50,
                seed=7,
                today=datetime.date(2026, 1, 1),
            )
        )


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(csv_path: Path, database: Path) -> None:
    """Import ``csv_path`` into a freshly migrated database; print one JSON line."""
    _setup_django(database)
    from django.core.management import call_command

    from matcher.geocoding import warm_gazetteer
    from specialists.importing import providers_import, utf8_lines

    call_command("migrate", verbosity=0)
    warm_gazetteer()
    before = _max_rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    with csv_path.open("rb") as handle:
        report = providers_import(csv_file=utf8_lines(handle))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    print(
        json.dumps(
            {
                "rows": report.rows,
                "created": report.created,
                "rejected": report.rejected,
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "rss_before_mb": before,
                "rss_peak_mb": _max_rss_mb(),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--child", nargs=2, metavar=("CSV", "DATABASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(Path(args.child[0]), Path(args.child[1]))
        return

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        _setup_django(scratch / "generator.sqlite3")
        results = []
        for rows in args.rows:
            csv_path = scratch / f"providers-{rows}.csv"
            _write_csv(csv_path, rows)
            output = subprocess.run(
                [sys.executable, __file__, "--child", str(csv_path), str(scratch / f"{rows}.db")],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(output.strip().splitlines()[-1])
            results.append(result)
            rate = result["rows"] / result["seconds"]
            cpu_rate = result["rows"] / result["cpu_seconds"]
            added = result["rss_peak_mb"] - result["rss_before_mb"]
            print(
                f"{result['rows']:>7,} rows ({csv_path.stat().st_size / 2**20:.1f} MB CSV): "
                f"{result['seconds']:.2f} s, {rate:,.0f} rows/s "
                f"({rate / TARGET_ROWS_PER_SECOND:.2f}x the {TARGET_ROWS_PER_SECOND:,} rows/s "
                f"target; {cpu_rate:,.0f} rows per CPU second); "
                f"peak RSS {result['rss_peak_mb']:.0f} MB, import added {added:.1f} MB; "
                f"{result['created']:,} created, {result['rejected']} rejected"
            )
        if len(results) > 1:
            small, large = results[0], results[-1]
            print(
                f"peak RSS {large['rows']:,} rows / {small['rows']:,} rows: "
                f"{large['rss_peak_mb'] / small['rss_peak_mb']:.2f}x "
                f"for {large['rows'] / small['rows']:.0f}x the rows"
            )


if __name__ == "__main__":
    main()
