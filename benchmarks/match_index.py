"""What the match index costs a process: start to first answered match, memory, search with
cards, a listing edit, a new base. Before (another checkout's index) against after (this
one), side by side on the same databases.

    .venv/bin/python benchmarks/match_index.py --databases a.sqlite3,b.sqlite3 --before ../main
    .venv/bin/python benchmarks/match_index.py --sizes 100000    # generated in a temporary file

Every figure comes from a fresh process of its own (``--child``), so one run's memory
never counts against the next. Searches go to random real ZIPs drawn by state
population, radius 50 mi, 10 results with their cards and the total, as the match API
asks; the child never loads the ZIP gazetteer (the parent hands it coordinates), so its
memory is the index's and Django's. RSS is split into anonymous memory (the process's
own) and file-backed pages (the mapped snapshot, shared by every process on the host, and
the libraries).

For each database and code: the cold start (process start to the first answer: without a
snapshot file the old index builds in the process, the new one maps the file written by
``manage.py match_index_build``, timed apart), search p50 and p99 over N queries, RSS
after them, then one listing edit every second for --edits seconds with the searches'
p50 and p99 meanwhile (the old index rebuilds in front of a search; the new one applies the
change), and RSS at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.environment  # noqa: E402, F401  (the children inherit it)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="", help="SQLite files seeded by match.py")
    parser.add_argument("--sizes", default="", help="generate these sizes instead")
    parser.add_argument("--before", default="", help="a checkout of the code to compare with")
    parser.add_argument("--queries", type=int, default=5000)
    parser.add_argument("--edits", type=int, default=20, help="seconds of one edit a second")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--child", nargs=3, metavar=("CODE", "DATABASE", "SNAPSHOTS"))
    args = parser.parse_args()
    if args.child:
        return child(args)

    databases = [Path(path).resolve() for path in args.databases.split(",") if path]
    temporary = tempfile.mkdtemp(prefix="match-index-bench-")
    for size in (int(s) for s in args.sizes.split(",") if s):
        databases.append(seeded(size, Path(temporary) / f"bench-{size}.sqlite3", args.seed))
    # This code first: the old one bumps the directory version without logging what
    # changed, which any later run of this code would have to rebuild over.
    codes = [("after", ROOT)]
    if args.before:
        codes.append(("before", Path(args.before).resolve()))
    figures = {}
    for database in databases:
        migrate(database)
        snapshots = Path(temporary) / f"snapshots-{database.stem}"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "match_index_build"],
            check=True,
            capture_output=True,
            env={**os.environ, **environment(database, snapshots)},
        )
        build_s = time.perf_counter() - started
        (written,) = snapshots.glob("snapshot-*.idx")
        file_mb = written.stat().st_size / 1e6
        for name, code in codes:
            figure = run_child(code, database, snapshots if name == "after" else None, args)
            if name == "after":
                figure["builder_s"] = build_s
                figure["file_mb"] = file_mb
            figures[(database.name, name)] = figure
            print(database.name, name, json.dumps(figure), flush=True)
    print_table(figures)
    return 0


def environment(database: Path, snapshots: Path | None) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{database}",
        "MATCH_INDEX_DIR": str(snapshots) if snapshots else "",
        "MATCH_INDEX_RECHECK_SECONDS": "1",
    }


def migrate(database: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput"],
        check=True,
        capture_output=True,
        env={**os.environ, **environment(database, None)},
    )


def seeded(size: int, path: Path, seed: int) -> Path:
    migrate(path)
    code = (
        "import random, django; django.setup()\n"
        "from benchmarks.match import generate, settle\n"
        "from geo.gazetteer import located_zip_places\n"
        f"generate(random.Random({seed}), located_zip_places(), start=0, stop={size}); settle()\n"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        cwd=ROOT,
        env={**os.environ, **environment(path, None)},
    )
    return path


def places(seed: int, count: int) -> list[tuple]:
    """Real ZIPs drawn by their state's population, then evenly within the state."""
    import django

    django.setup()
    from geo.gazetteer import located_zip_places
    from specialists.management.commands.seed_demo import STATE_POPULATION_2020

    by_state: dict[str, list] = {}
    for place in located_zip_places():
        by_state.setdefault(place.state, []).append(place)
    states = [state for state in STATE_POPULATION_2020 if state in by_state]
    weights = [STATE_POPULATION_2020[state] for state in states]
    rng = random.Random(seed)
    chosen = []
    for state in rng.choices(states, weights, k=count):
        place = rng.choice(by_state[state])
        chosen.append((place.zip, place.city, place.state, place.latitude, place.longitude))
    return chosen


def run_child(code: Path, database: Path, snapshots: Path | None, args) -> dict:
    queries = Path(tempfile.mkstemp(suffix=".json")[1])
    queries.write_text(json.dumps(places(args.seed, args.queries)))
    env = {**os.environ, **environment(database, snapshots), "QUERIES": str(queries)}
    env["EDITS"] = str(args.edits)
    env["STARTED"] = repr(time.time())
    run = subprocess.run(
        [sys.executable, __file__, "--child", str(code), str(database), str(snapshots or "")],
        capture_output=True,
        text=True,
        env=env,
        cwd=code,
    )
    queries.unlink()
    if run.returncode:
        sys.exit(f"{code} on {database.name} failed:\n{run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


# --- child: one process, one code, one database ------------------------------------------


def memory() -> dict[str, float]:
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {
        name: int(status[key].split()[0]) / 1024
        for name, key in (("rss", "VmRSS"), ("anon", "RssAnon"), ("file", "RssFile"))
    }


def child(args) -> int:
    code = args.child[0]  # the database and the snapshots come in the environment
    sys.path.insert(0, code)
    import django

    django.setup()
    from django.utils import timezone

    from geo.gazetteer import ZipPlace
    from matcher.query import MatchQuery
    from matcher.selectors import specialist_search_cards
    from specialists.models import Specialist

    queries = [
        MatchQuery(origin=ZipPlace(*place), radius=50, limit=10)
        for place in json.loads(Path(os.environ["QUERIES"]).read_text())
    ]
    specialist_search_cards(queries[0])
    figures = {"first_match_s": time.time() - float(os.environ["STARTED"])}

    def timed(batch):
        times = []
        for query in batch:
            started = time.perf_counter()
            specialist_search_cards(query)
            times.append((time.perf_counter() - started) * 1000)
        return times

    def percentiles(times, prefix):
        ordered = sorted(times)
        figures[f"{prefix}_p50_ms"] = statistics.median(ordered)
        figures[f"{prefix}_p99_ms"] = ordered[int(0.99 * (len(ordered) - 1))]

    percentiles(timed(queries), "search")
    figures["memory_after_searches"] = memory()

    # One listing edit a second, searches in between: the slowest search of each second
    # shows what the edit cost (the old index rebuilds in front of one search).
    people = list(Specialist.objects.filter(active=True).order_by("?")[: int(os.environ["EDITS"])])
    rng = random.Random(1)
    times, slowest = [], []
    for person in people:
        deadline = time.monotonic() + 1.0
        person.last_name = f"Edited{rng.randrange(10**6)}"
        person.updated_at = timezone.now()
        person.save()
        second = []
        while time.monotonic() < deadline:
            second += timed(rng.sample(queries, 5))
        times += second
        slowest.append(max(second))
    if people:
        percentiles(times, "search_while_editing")
        figures["slowest_per_edit_p50_ms"] = statistics.median(slowest)
        figures["slowest_per_edit_max_ms"] = max(slowest)
    figures["memory_after_edits"] = memory()
    print(json.dumps(figures))
    return 0


def print_table(figures: dict) -> None:
    print("\n=== summary ===")
    for (database, name), f in figures.items():
        line = (
            f"{database:16} {name:6} first match {f['first_match_s']:.2f} s | "
            f"search p50 {f['search_p50_ms']:.3f} ms p99 {f['search_p99_ms']:.2f} ms | "
            f"RSS {f['memory_after_searches']['rss']:.0f} MB "
            f"(anon {f['memory_after_searches']['anon']:.0f}, "
            f"file {f['memory_after_searches']['file']:.0f}) | "
        )
        if "search_while_editing_p50_ms" in f:
            line += (
                f"one edit a second: search p50 {f['search_while_editing_p50_ms']:.3f} ms "
                f"p99 {f['search_while_editing_p99_ms']:.2f} ms, slowest search of each "
                f"second p50 {f['slowest_per_edit_p50_ms']:.1f} ms max "
                f"{f['slowest_per_edit_max_ms']:.1f} ms | "
                f"RSS after {f['memory_after_edits']['rss']:.0f} MB"
            )
        if "builder_s" in f:
            line += f" | builder {f['builder_s']:.1f} s, file {f['file_mb']:.0f} MB"
        print(line)


if __name__ == "__main__":
    sys.exit(main())
