"""NPPES import speed and memory: generated files in the real NPPES layout (330 columns,
every value quoted, about 1.1 KB a row), 200,000 and 1,000,000 rows, about 2% of them
spine specialists.

    .venv/bin/python benchmarks/import_nppes.py [--rows 200000 1000000]

Every size runs in its own process and fresh SQLite database, and is imported twice
there: first into an empty directory (every spine specialist becomes a draft), then again
(every one of them is listed and unchanged, the monthly case). A third process imports it
under tracemalloc for the peak Python heap, which tracemalloc slows, so it is not timed.
Memory is flat when the heap peak is about the same for both sizes. Target: 50,000 rows
scanned per second.
"""

import argparse
import csv
import json
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from fresh_process import child_arguments, child_run, django_setup, heap_ratio, rss_peak_mb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from specialists.taxonomies import SPINE_TAXONOMIES  # noqa: E402
from specialists.validators import npi_check_digit_is_valid  # noqa: E402
from tests.nppes import nppes_header, nppes_row  # noqa: E402

TARGET_ROWS_PER_SECOND = 50_000
SPINE_SHARE = 0.02
DEACTIVATED_SHARE = 0.01
ORGANISATION_SHARE = 0.2
OTHER_TAXONOMIES = [
    "207Q00000X",
    "207R00000X",
    "363LF0000X",
    "183500000X",
    "390200000X",
    "1223G0001X",
    "225100000X",
    "163W00000X",
    "261QM1300X",
    "332B00000X",
]
AREA_CODES = ["212", "305", "415", "617", "713", "312", "404", "602", "206", "303"]


def _npi(stem: int) -> str:
    base = f"1{stem:08d}"
    return next(f"{base}{d}" for d in range(10) if npi_check_digit_is_valid(f"{base}{d}"))


def _write_file(path: Path, rows: int, places: list[tuple[str, str, str]]) -> None:
    """``rows`` generated records; ``places`` are (ZIP, city, state) to draw addresses from."""
    chance = random.Random(14)
    header = nppes_header()
    spine = list(SPINE_TAXONOMIES)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        for n in range(rows):
            draw = chance.random()
            zip_code, city, state = chance.choice(places)
            fields = {
                "header": header,
                "last_name": f"SURNAME{n % 50_000}",
                "first_name": chance.choice(["JANE", "OMAR", "WEI", "MARIA", "JOHN", "AISHA"]),
                "line1": f"{chance.randint(1, 9999)} MAIN ST",
                "city": city.upper(),
                "state": state,
                "postal_code": zip_code + f"{chance.randint(0, 9999):04d}",
                "phone": chance.choice(AREA_CODES) + f"{chance.randint(200, 899)}{n % 10_000:04d}",
            }
            identifiers = {
                "Other Provider Identifier_1": f"{chance.randint(10**6, 10**7)}",
                "Other Provider Identifier Type Code_1": "05",
                "Other Provider Identifier State_1": state,
            }
            if draw < DEACTIVATED_SHARE:
                row = nppes_row(_npi(n), deactivated="05/01/2019", header=header)
            elif draw < DEACTIVATED_SHARE + SPINE_SHARE:
                row = nppes_row(_npi(n), taxonomies=[chance.choice(spine)], **fields, **identifiers)
            elif draw < DEACTIVATED_SHARE + SPINE_SHARE + ORGANISATION_SHARE:
                row = nppes_row(
                    _npi(n),
                    entity_type="2",
                    taxonomies=[chance.choice(OTHER_TAXONOMIES)],
                    **{"Provider Organization Name (Legal Business Name)": f"CLINIC {n}"},
                    **fields,
                    **identifiers,
                )
            else:
                taxonomies = chance.sample(OTHER_TAXONOMIES, chance.randint(1, 3))
                row = nppes_row(_npi(n), taxonomies=taxonomies, **fields, **identifiers)
            writer.writerow(row)


def _import(path: Path) -> dict:
    from specialists.nppes import nppes_import

    started, cpu_started = time.perf_counter(), time.process_time()
    with path.open("rb") as binary:
        report = nppes_import(binary=binary)
    return {
        "scanned": report.scanned,
        "created": report.created,
        "unchanged": report.unchanged,
        "deactivated": report.deactivated,
        "skipped": sum(report.skipped.values()),
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
    }


def _child(path: Path, database: Path, *, trace_memory: bool) -> None:
    """Import ``path`` into a freshly migrated database; print one JSON line."""
    django_setup(database)
    from django.core.management import call_command

    from geo.gazetteer import warm_gazetteer

    call_command("migrate", verbosity=0)
    warm_gazetteer()
    if trace_memory:
        tracemalloc.start()
        _import(path)
        result = {"heap_peak_mb": tracemalloc.get_traced_memory()[1] / 2**20}
    else:
        result = {"first": _import(path), "again": _import(path), "rss_peak_mb": rss_peak_mb()}
    print(json.dumps(result))


def _describe(label: str, run: dict) -> str:
    rate = run["scanned"] / run["seconds"]
    return (
        f"  {label}: {run['seconds']:.2f} s, {rate:,.0f} rows scanned/s "
        f"({rate / TARGET_ROWS_PER_SECOND:.2f}x the {TARGET_ROWS_PER_SECOND:,} target), "
        f"{run['scanned'] / run['cpu_seconds']:,.0f} per CPU second; {run['created']:,} "
        f"created, {run['unchanged']:,} unchanged, {run['skipped']:,} skipped"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[200_000, 1_000_000])
    child_arguments(parser)
    args = parser.parse_args()
    if args.child:
        _child(Path(args.child[0]), Path(args.child[1]), trace_memory=args.trace_memory)
        return

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        django_setup(scratch / "generator.sqlite3")
        from geo.gazetteer import located_zip_places

        places = [(p.zip, p.city, p.state) for p in located_zip_places()]
        heaps = []
        for rows in args.rows:
            path = scratch / f"npidata-{rows}.csv"
            started = time.perf_counter()
            _write_file(path, rows, places)
            written = time.perf_counter() - started
            timed = child_run(__file__, path, scratch / f"{rows}-timed.db", trace_memory=False)
            traced = child_run(__file__, path, scratch / f"{rows}-traced.db", trace_memory=True)
            heaps.append((rows, traced["heap_peak_mb"]))
            print(
                f"{rows:,} rows ({path.stat().st_size / 2**20:,.0f} MB, written in "
                f"{written:.0f} s): peak Python heap {traced['heap_peak_mb']:.1f} MB, "
                f"peak RSS {timed['rss_peak_mb']:.0f} MB"
            )
            print(_describe("empty directory", timed["first"]))
            print(_describe("same file again", timed["again"]))
            path.unlink()
        if len(heaps) > 1:
            print(heap_ratio(heaps))


if __name__ == "__main__":
    main()
