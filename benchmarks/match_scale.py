"""The match path at scale: the site under load at 100,000 and 1,000,000 specialists, in
one run (``benchmarks/match.py --scale``).

    .venv/bin/python benchmarks/match.py --scale              # 100k and 1M (the databases
                                                              # are generated on first use)
    .venv/bin/python benchmarks/match.py --scale --sizes 5000 --seconds 3 --knn-queries 100

For each size:

1. **The directory**, generated once by ``benchmarks.match.generate`` (specialists over real
   ZIPs, some inactive or with lapsed certificates, institutes, treatments, listing facts)
   into ``var/bench/match-<size>-seed<seed>-g<version>.sqlite3``, kept for later runs and
   migrated on reuse; each run works on a copy.
2. **Cold start**: ``gunicorn -c gunicorn.conf.py`` with one worker, from spawning it to the
   first answered match, on the fresh copy and once more (a restart). Target <= 1.5 s at
   1,000,000.
3. **Throughput**: gunicorn with ``--workers`` (4) and wrk (``--connections`` 16 over
   ``--seconds`` 30, a Lua script cycling through ``--paths`` pre-drawn paths) on the
   match API, ``/find/`` and ``/healthz``: first without edits, then while a separate
   process edits ``--edits-per-second`` (1) listings through the services
   (``specialists.services.listings_set_active``: a specialist deactivated, later
   reactivated), so each change goes down the real change path. ZIPs come from the whole
   gazetteer weighted by population: each state's 2020 census population spread evenly
   over its ZIPs (the gazetteer holds no population per ZIP); one match in four names a
   treatment. Prints req/s, p50 and p99. Targets: match >= 60% and /find/ >= 25% of
   /healthz req/s without edits; with edits, req/s within 10% and p99 within 2x of the
   run without.
4. **Memory**: RSS and PSS (``/proc/PID/smaps_rollup``) of each worker after the runs
   without edits and after those with. Target <= 400 MB RSS at 1,000,000.
5. **The selector against PostGIS**: the same rows (read from the run's database after the
   edits) copied into a PostgreSQL database of the benchmark's own on 127.0.0.1:5432 with
   PostGIS (``CREATE EXTENSION postgis``; Debian's package is installed when missing, the
   product never needs it), dropped afterwards. ``--knn-queries`` population-weighted
   searches (50 miles, 10 results) with no treatment, with a treatment, and filtered
   (Spanish-speaking and accepting new patients), each through ``specialist_nearest_ids``
   and through ``ORDER BY geog <-> point LIMIT 10`` under ``ST_DWithin`` with the whole
   qualifying rule (active, a certificate current today, the treatment, the facts). Both
   answers are compared. Target: selector / PostGIS median <= 0.5 at 1,000,000.

``--pages-only`` runs only /find/ against /healthz without edits, ``--rounds`` pairs back to
back on one warmed server, to compare the page's work with a baseline (the same command in
a worktree of the baseline, alternating).

The machine's load average is printed with the figures: on a shared machine it says how
much of the cores the run had.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.environment  # noqa: E402, F401  (the children inherit it)
from benchmarks.match import _free_port, _wait_until_up  # noqa: E402

BENCH_DIR = ROOT / "var" / "bench"
# Bump when benchmarks.match.generate changes what it writes: kept databases are then
# generated again.
GENERATOR_VERSION = 1
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
KNN_DATABASE = "spine_match_bench_knn"
# PostGIS's sphere is the IUGG mean radius, the one geo.distance uses.
SPHERE_METRES = 6_371_008.8
RADIUS_MILES, LIMIT = 50, 10

TARGETS = {
    "match_share": 0.60,
    "find_share": 0.25,
    "edit_rps_share": 0.90,
    "edit_p99_growth": 2.0,
    "rss_mb_1m": 400,
    "cold_start_s_1m": 1.5,
    "knn_ratio_1m": 0.5,
}


def load() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


# --- Parent -------------------------------------------------------------------------------


def run(args) -> int:
    """The whole scale run; exit status 1 when a comparison found different answers."""
    import django

    django.setup()  # the gazetteer and the population table; no database is opened
    sizes = [int(size) for size in args.sizes.split(",")]
    rng = random.Random(args.seed)
    places = weighted_places(rng, args.paths)
    slugs = sorted(
        path.stem
        for path in (ROOT / "specialists" / "content" / "treatments").glob("*.md")
        if not path.stem.endswith(".es")
    )
    paths = {
        "match": [
            f"/api/v1/match/?zip={place.zip}"
            + (f"&treatment={slugs[i // 4 % len(slugs)]}" if i % 4 == 3 else "")
            for i, place in enumerate(places)
        ],
        "find": [f"/find/?zip={place.zip}" for place in places],
        "healthz": ["/healthz"],
    }
    summary, ok = {}, True
    for size in sizes:
        print(f"=== {size:,} specialists ({load()}) ===", flush=True)
        cached = database_for(size, args.seed)
        working = BENCH_DIR / f"run-{size}-{os.getpid()}.sqlite3"
        shutil.copyfile(cached, working)
        try:
            if args.pages_only:
                summary[size] = pages_only(working, paths, args)
                continue
            figures = {"cold_start_s": cold_starts(working)}
            figures.update(throughput(working, paths, args))
            knn = child_json(["knn", str(working), str(args.knn_queries), str(args.seed)])
            figures["knn"] = knn
            ok &= all(mode["mismatches"] == 0 for mode in knn["modes"].values())
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{working}{suffix}").unlink(missing_ok=True)
        summary[size] = figures
    if args.pages_only:
        print_pages_summary(summary)
    else:
        print_summary(summary)
    return 0 if ok else 1


def weighted_places(rng: random.Random, count: int):
    """``count`` located ZIPs, each state chosen by its population, then one of its ZIPs."""
    from geo.gazetteer import located_zip_places
    from specialists.management.commands.seed_demo import STATE_POPULATION_2020

    by_state: dict[str, list] = {}
    for place in located_zip_places():
        if place.state in STATE_POPULATION_2020:
            by_state.setdefault(place.state, []).append(place)
    states = sorted(by_state)
    weights = [STATE_POPULATION_2020[state] for state in states]
    return [rng.choice(by_state[state]) for state in rng.choices(states, weights, k=count)]


def database_for(size: int, seed: int) -> Path:
    """The kept database of ``size`` specialists, generated when missing, migrated."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"match-{size}-seed{seed}-g{GENERATOR_VERSION}.sqlite3"
    if path.exists():
        child(["migrate", str(path)])
        return path
    building = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    started = time.monotonic()
    child(["generate", str(building), str(size), str(seed)])
    os.replace(building, path)
    print(f"  generated in {time.monotonic() - started:.0f} s: {path}", flush=True)
    return path


def child(arguments: list[str]) -> str:
    """Run this module as a child (Django reads DATABASE_URL once per process); its output."""
    done = subprocess.run(
        [sys.executable, __file__, *arguments], check=True, stdout=subprocess.PIPE, text=True
    )
    return done.stdout


def child_json(arguments: list[str]) -> dict:
    """A child whose figures are printed as it goes and whose last line is ``RESULT {json}``."""
    result = None
    with subprocess.Popen(
        [sys.executable, __file__, *arguments], stdout=subprocess.PIPE, text=True
    ) as process:
        for line in process.stdout:
            if line.startswith("RESULT "):
                result = json.loads(line.removeprefix("RESULT "))
            else:
                print(line, end="", flush=True)
    if process.returncode or result is None:
        raise RuntimeError(f"child {arguments[0]} failed ({process.returncode})")
    return result


def start_gunicorn(database: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "WEB_CONCURRENCY": str(workers),
        "BIND": f"127.0.0.1:{port}",
        "WEB_INSTANCE": f"bench-{port}",
        "WEB_TIMEOUT": "300",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=environment,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return server, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cold_starts(database: Path) -> list[float]:
    """Seconds from spawning one gunicorn worker to its first answered match: on a fresh
    copy, then again."""
    found = []
    for attempt in ("first start", "restart"):
        started = time.monotonic()
        server, base = start_gunicorn(database, 1)
        try:
            while True:
                try:
                    with urllib.request.urlopen(
                        base + "/api/v1/match/?zip=10001", timeout=120
                    ) as response:
                        assert response.status == 200
                        break
                except (ConnectionError, urllib.error.URLError):
                    if server.poll() is not None:
                        raise RuntimeError("gunicorn exited") from None
                    time.sleep(0.02)
            found.append(time.monotonic() - started)
        finally:
            stop(server)
        print(
            f"  process start to first answered match ({attempt}): {found[-1]:.2f} s ({load()})",
            flush=True,
        )
    return found


def worker_memory(master: int) -> list[dict]:
    """RSS and PSS in MB of each of the master's worker processes."""
    workers = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != master:
                continue
            status = (entry / "status").read_text()
            rollup = (entry / "smaps_rollup").read_text()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        workers.append(
            {
                "pid": int(entry.name),
                "rss_mb": int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024,
                "pss_mb": int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1)) / 1024,
            }
        )
    return workers


def throughput(database: Path, paths: dict[str, list[str]], args) -> dict:
    figures = {}
    server, base = start_gunicorn(database, args.workers)
    editor = None
    try:
        _wait_until_up(base + "/healthz")
        # Every worker builds its index and renders its templates before the clock runs:
        # rounds until one serves about as many requests as the one before.
        for name in ("match", "find"):
            previous = 0.0
            for _ in range(8):
                rate = wrk(base, paths[name], 5, args.connections, warm=True)["rps"]
                if previous and abs(rate - previous) <= 0.15 * previous:
                    break
                previous = rate
        for phase in ("without edits", "with edits"):
            if phase == "with edits":
                editor = subprocess.Popen(
                    [sys.executable, __file__, "edits", str(database), str(args.edits_per_second)],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                time.sleep(2)
            results = {}
            for name in ("match", "find", "healthz"):
                results[name] = wrk(base, paths[name], args.seconds, args.connections)
                r = results[name]
                print(
                    f"  {phase}: {name:8} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:7.2f} ms  "
                    f"p99 {r['p99_ms']:8.2f} ms  errors {r['errors']}  ({r['load']})",
                    flush=True,
                )
            memory = worker_memory(server.pid)
            print(
                f"  {phase}: workers' RSS "
                + ", ".join(f"{w['rss_mb']:.0f}" for w in memory)
                + " MB; PSS "
                + ", ".join(f"{w['pss_mb']:.0f}" for w in memory)
                + " MB",
                flush=True,
            )
            figures[phase] = {"http": results, "memory": memory}
        editor.send_signal(signal.SIGTERM)
        output, _ = editor.communicate(timeout=60)
        figures["edits"] = json.loads(output.strip().splitlines()[-1])
        print(
            f"  edits: {figures['edits']['count']} through the services, "
            f"{figures['edits']['mean_ms']:.0f} ms each on average",
            flush=True,
        )
    finally:
        if editor is not None and editor.poll() is None:
            editor.kill()
        stop(server)
    return figures


def pages_only(database: Path, paths: dict[str, list[str]], args) -> list[dict]:
    """``--pages-only``: /find/ then /healthz without edits, ``args.rounds`` times, on one
    warmed gunicorn; each pair back to back so both see about the same machine."""
    rounds = []
    server, base = start_gunicorn(database, args.workers)
    try:
        _wait_until_up(base + "/healthz")
        previous = 0.0
        for _ in range(8):
            rate = wrk(base, paths["find"], 5, args.connections, warm=True)["rps"]
            if previous and abs(rate - previous) <= 0.15 * previous:
                break
            previous = rate
        for n in range(args.rounds):
            pair = {
                name: wrk(base, paths[name], args.seconds, args.connections)
                for name in ("find", "healthz")
            }
            for name, r in pair.items():
                print(
                    f"  round {n + 1}: {name:8} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:7.2f} ms  "
                    f"p99 {r['p99_ms']:8.2f} ms  errors {r['errors']}  ({r['load']})",
                    flush=True,
                )
            rounds.append(pair)
    finally:
        stop(server)
    return rounds


def print_pages_summary(summary: dict) -> None:
    print("\n=== /find/ against /healthz, without edits (target in brackets) ===")
    for size, rounds in summary.items():
        shares = [pair["find"]["rps"] / pair["healthz"]["rps"] for pair in rounds]
        print(
            f"{size:>9,} specialists: /find/ "
            + ", ".join(
                f"{pair['find']['rps']:.0f} of {pair['healthz']['rps']:.0f} req/s ({share:.0%})"
                for pair, share in zip(rounds, shares, strict=True)
            )
            + f"; median share {statistics.median(shares):.0%} [>= {TARGETS['find_share']:.0%}]"
        )


_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(base: str, paths: list[str], seconds: float, connections: int, *, warm=False) -> dict:
    """wrk with a Lua script cycling through ``paths`` (each thread from its own offset)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            "local paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
            "local threads = 0\n"
            "function setup(thread)\n"
            "  thread:set('offset', threads * 7919)\n"
            "  threads = threads + 1\n"
            "end\n"
            "function init(args)\n"
            "  i = offset or 0\n"
            "end\n"
            "function request()\n"
            "  i = i % #paths + 1\n"
            '  return wrk.format("GET", paths[i])\n'
            "end\n"
        )
    try:
        output = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(connections),
                "-d",
                f"{seconds:g}s",
                "--latency",
                "--timeout",
                "60s" if warm else "10s",
                "-s",
                script.name,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    latency = {q: float(v) * _UNIT_MS[u] for q, v, u in _LATENCY.findall(output)}
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = sum(map(int, socket_errors.groups() if socket_errors else ())) + int(
        failed.group(1) if failed else 0
    )
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return {
        "rps": rps,
        # Nothing answered within the run: no latency to speak of, only "longer than it".
        "p50_ms": latency.get("50", math.nan) if rps else math.inf,
        "p99_ms": latency.get("99", math.nan) if rps else math.inf,
        "errors": errors,
        "load": load(),
    }


def print_summary(summary: dict) -> None:
    print("\n=== scale summary (targets in brackets) ===")
    for size, figures in summary.items():
        calm = figures["without edits"]["http"]
        busy = figures["with edits"]["http"]
        health = calm["healthz"]["rps"]
        print(f"{size:>9,} specialists")
        print(
            f"  match {calm['match']['rps']:.0f} req/s = {calm['match']['rps'] / health:.0%} of "
            f"/healthz [>= {TARGETS['match_share']:.0%}]; /find/ {calm['find']['rps']:.0f} "
            f"req/s = {calm['find']['rps'] / health:.0%} [>= {TARGETS['find_share']:.0%}]; "
            f"/healthz {health:.0f} req/s"
        )
        for name in ("match", "find", "healthz"):
            share = busy[name]["rps"] / calm[name]["rps"] if calm[name]["rps"] else math.nan
            growth = busy[name]["p99_ms"] / calm[name]["p99_ms"]
            print(
                f"  with an edit a second, {name:7}: req/s {share:.0%} of the calm run "
                f"[>= {TARGETS['edit_rps_share']:.0%}], p99 {busy[name]['p99_ms']:.1f} ms = "
                f"{growth:.1f}x [<= {TARGETS['edit_p99_growth']:.0f}x]"
            )
        for phase in ("without edits", "with edits"):
            memory = figures[phase]["memory"]
            print(
                f"  RSS per worker {phase}: max {max(w['rss_mb'] for w in memory):.0f} MB "
                f"[<= {TARGETS['rss_mb_1m']} MB at 1M], PSS max "
                f"{max(w['pss_mb'] for w in memory):.0f} MB"
            )
        first, again = figures["cold_start_s"]
        print(
            f"  start to first match {first:.2f} s, restart {again:.2f} s "
            f"[<= {TARGETS['cold_start_s_1m']} s at 1M]"
        )
        for mode, m in figures["knn"]["modes"].items():
            print(
                f"  {mode:9} selector median {m['selector_median_ms']:.3f} ms vs PostGIS "
                f"{m['postgis_median_ms']:.3f} ms = {m['ratio']:.2f} "
                f"[<= {TARGETS['knn_ratio_1m']} at 1M]; same answers on "
                f"{m['compared'] - m['mismatches']}/{m['compared']}"
            )


# --- Children -----------------------------------------------------------------------------


def _django(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    import django

    django.setup()


def child_generate(database: Path, size: int, seed: int) -> None:
    _django(database)
    from django.core.management import call_command

    from benchmarks.match import generate, settle
    from geo.gazetteer import located_zip_places

    call_command("migrate", verbosity=0, interactive=False)
    generate(random.Random(seed), located_zip_places(), start=0, stop=size)
    settle()


def child_migrate(database: Path) -> None:
    _django(database)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def child_edits(database: Path, per_second: float) -> None:
    """Edit listings through the services until SIGTERM; print the count and mean time."""
    _django(database)
    from django.contrib.auth import get_user_model

    from specialists.models import Specialist
    from specialists.services import listings_set_active

    user, _ = get_user_model().objects.get_or_create(
        username="bench-editor", defaults={"is_staff": True}
    )
    rng = random.Random(os.getpid())
    ids = list(Specialist.objects.filter(active=True).values_list("pk", flat=True)[:5000])
    pool = rng.sample(ids, min(200, len(ids)))
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    timings = []
    next_at = time.monotonic()
    while not stopping:
        specialist = Specialist.objects.get(pk=rng.choice(pool))
        started = time.perf_counter()
        listings_set_active(
            queryset=Specialist.objects.filter(pk=specialist.pk),
            active=not specialist.active,
            user=user,
        )
        timings.append(time.perf_counter() - started)
        next_at += 1 / per_second
        time.sleep(max(0.0, next_at - time.monotonic()))
    print(json.dumps({"count": len(timings), "mean_ms": statistics.fmean(timings or [0]) * 1e3}))


def _postgres(database: str = "postgres", **options):
    import psycopg

    return psycopg.connect(f"{POSTGRES_SERVER}/{database}", **options)


def postgis_ready() -> None:
    """PostGIS available on the server: Debian's package installed when it is missing."""
    with _postgres(autocommit=True) as connection:
        if connection.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
        ).fetchone():
            return
        major = connection.info.server_version // 10000
    package = f"postgresql-{major}-postgis-3"
    if subprocess.run(["dpkg", "-s", package], capture_output=True).returncode != 0:
        print(f"  installing {package} from Debian", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", package], check=True)


KNN_SQL = """
SELECT s.id, ST_Distance(s.geog, p.g, false)
FROM bench_specialist s,
     (SELECT ST_SetSRID(ST_MakePoint(%(longitude)s, %(latitude)s), 4326)::geography AS g) p
WHERE s.active
  AND ST_DWithin(s.geog, p.g, %(metres)s, false)
  AND EXISTS (SELECT 1 FROM bench_certification c WHERE c.specialist_id = s.id
              AND (c.expires_on IS NULL OR c.expires_on >= %(today)s))
  {treatment}
  {facts}
ORDER BY s.geog <-> p.g
LIMIT %(limit)s
"""
KNN_TREATMENT = (
    "AND EXISTS (SELECT 1 FROM bench_link l WHERE l.specialist_id = s.id "
    "AND l.treatment_id = %(treatment)s)"
)
KNN_FACTS = "AND s.accepting AND 'es' = ANY(string_to_array(s.languages, ';'))"


def _copy_rows(target, source_sql: str, table: str, columns: str) -> int:
    from django.db import connection

    count = 0
    with connection.cursor() as source, target.cursor() as cursor:
        source.execute(source_sql)
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            while rows := source.fetchmany(20_000):
                for row in rows:
                    copy.write_row(row)
                count += len(rows)
    return count


def knn_load(target) -> None:
    """The rows the qualifying rule reads, from the run's database into PostGIS."""
    from specialists.models import BoardCertification, Specialist

    specialists = Specialist._meta.db_table
    links = Specialist.treatments.through._meta.db_table
    certifications = BoardCertification._meta.db_table
    target.execute(
        "CREATE TABLE bench_specialist (id bigint PRIMARY KEY, latitude float8, longitude "
        "float8, active bool, accepting bool, languages text)"
    )
    target.execute("CREATE TABLE bench_certification (specialist_id bigint, expires_on date)")
    target.execute("CREATE TABLE bench_link (specialist_id bigint, treatment_id bigint)")
    started = time.monotonic()
    count = _copy_rows(
        target,
        f"SELECT id, latitude, longitude, active, accepting_new_patients, languages "
        f"FROM {specialists}",
        "bench_specialist",
        "id, latitude, longitude, active, accepting, languages",
    )
    _copy_rows(
        target,
        f"SELECT specialist_id, expires_on FROM {certifications}",
        "bench_certification",
        "specialist_id, expires_on",
    )
    _copy_rows(
        target,
        f"SELECT specialist_id, treatment_id FROM {links}",
        "bench_link",
        "specialist_id, treatment_id",
    )
    target.execute("ALTER TABLE bench_specialist ADD COLUMN geog geography(Point, 4326)")
    target.execute(
        "UPDATE bench_specialist SET geog = "
        "ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)::geography"
    )
    target.execute("CREATE INDEX ON bench_specialist USING gist (geog)")
    target.execute("CREATE INDEX ON bench_certification (specialist_id, expires_on)")
    target.execute("CREATE INDEX ON bench_link (specialist_id, treatment_id)")
    target.execute("ANALYZE")
    print(
        f"  PostGIS: {count:,} specialists with their certificates and treatments copied and "
        f"indexed in {time.monotonic() - started:.0f} s",
        flush=True,
    )


def child_knn(database: Path, queries: int, seed: int) -> None:
    """The selector and PostGIS KNN on the same rows; prints figures and RESULT json."""
    _django(database)
    from django.utils import timezone

    from matcher import index as match_index
    from specialists.models import Treatment

    postgis_ready()
    rng = random.Random(seed + 1)
    places = weighted_places(rng, queries)
    treatments = list(Treatment.objects.order_by("pk"))
    today = timezone.localdate()
    with _postgres(autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {KNN_DATABASE}")
        admin.execute(f"CREATE DATABASE {KNN_DATABASE}")
    try:
        with _postgres(KNN_DATABASE, autocommit=True) as target:
            target.execute("CREATE EXTENSION postgis")
            knn_load(target)
            match_index.directory_index()
            modes = {
                mode: knn_mode(mode, target, places, treatments, rng, today)
                for mode in ("any", "treatment", "filtered")
            }
    finally:
        with _postgres(autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {KNN_DATABASE}")
    print("RESULT " + json.dumps({"modes": modes, "load": load()}))


def knn_mode(mode: str, target, places, treatments, rng, today) -> dict:
    """One kind of search through the selector and through PostGIS, timed and compared."""
    from geo.distance import EARTH_RADIUS
    from matcher.query import MatchQuery
    from matcher.selectors import specialist_nearest_ids as nearest

    sql = KNN_SQL.format(
        treatment=KNN_TREATMENT if mode == "treatment" else "",
        facts=KNN_FACTS if mode == "filtered" else "",
    )
    metres = RADIUS_MILES / EARTH_RADIUS["mi"] * SPHERE_METRES
    searches = [
        (place, rng.choice(treatments) if mode == "treatment" else None) for place in places
    ]
    facts = {"accepting": True, "language": "es"} if mode == "filtered" else {}
    # Each tree (a treatment's, the filter's) is built on its first search: not timed.
    for place, treatment in searches[:50]:
        nearest(MatchQuery(origin=place, treatment=treatment, radius=RADIUS_MILES, **facts))

    def parameters(place, treatment) -> dict:
        return {
            "latitude": place.latitude,
            "longitude": place.longitude,
            "metres": metres,
            "today": today,
            "treatment": treatment and treatment.pk,
            "limit": LIMIT,
        }

    selector, postgis, mismatches = [], [], 0
    with target.cursor() as cursor:
        plan = cursor.execute("EXPLAIN (COSTS OFF) " + sql, parameters(*searches[0])).fetchall()
        print("  PostGIS plan: " + " | ".join(line.strip() for (line,) in plan[:4]), flush=True)
        for place, treatment in searches:
            query = MatchQuery(
                origin=place, treatment=treatment, radius=RADIUS_MILES, limit=LIMIT, **facts
            )
            started = time.perf_counter()
            ours = nearest(query)
            selector.append(time.perf_counter() - started)
            started = time.perf_counter()
            cursor.execute(sql, parameters(place, treatment), prepare=True)
            theirs = cursor.fetchall()
            postgis.append(time.perf_counter() - started)
            theirs = [(pk, m / SPHERE_METRES * EARTH_RADIUS["mi"]) for pk, m in theirs]
            if [pk for pk, _ in ours] != [pk for pk, _ in theirs] or any(
                abs(a - b) > 0.051 for (_, a), (_, b) in zip(ours, theirs, strict=True)
            ):
                mismatches += 1
                if mismatches <= 3:
                    print(f"    {mode} at {place.zip}: selector {ours} PostGIS {theirs}")
    figures = {
        "selector_median_ms": statistics.median(selector) * 1e3,
        "selector_p99_ms": sorted(selector)[int(0.99 * len(selector))] * 1e3,
        "postgis_median_ms": statistics.median(postgis) * 1e3,
        "postgis_p99_ms": sorted(postgis)[int(0.99 * len(postgis))] * 1e3,
        "compared": len(searches),
        "mismatches": mismatches,
    }
    figures["ratio"] = figures["selector_median_ms"] / figures["postgis_median_ms"]
    label = {"any": "any treatment", "treatment": "a treatment", "filtered": "filtered"}[mode]
    print(
        f"  KNN, {label}: selector p50 {figures['selector_median_ms']:.3f} ms p99 "
        f"{figures['selector_p99_ms']:.3f} ms; PostGIS p50 {figures['postgis_median_ms']:.3f} "
        f"ms p99 {figures['postgis_p99_ms']:.3f} ms; ratio {figures['ratio']:.2f} (target <= "
        f"{TARGETS['knn_ratio_1m']} at 1M); same answers on {len(searches) - mismatches}/"
        f"{len(searches)} ({load()})",
        flush=True,
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description="benchmarks/match.py --scale's children")
    parser.add_argument("kind", choices=["generate", "migrate", "edits", "knn"])
    parser.add_argument("database", type=Path)
    parser.add_argument("more", nargs="*")
    args = parser.parse_args()
    if args.kind == "generate":
        child_generate(args.database, int(args.more[0]), int(args.more[1]))
    elif args.kind == "migrate":
        child_migrate(args.database)
    elif args.kind == "edits":
        child_edits(args.database, float(args.more[0]))
    else:
        child_knn(args.database, int(args.more[0]), int(args.more[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
