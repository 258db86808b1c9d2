"""What the import benchmarks share: every measured run happens in a process of its own
(the script again, with ``--child FILE DATABASE``) on a fresh SQLite database, so one
size's memory never counts against the next, and prints one JSON line back."""

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path


def django_setup(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--child", nargs=2, metavar=("FILE", "DATABASE"), help=argparse.SUPPRESS)
    parser.add_argument("--trace-memory", action="store_true", help=argparse.SUPPRESS)


def child_run(script: str, path: Path, database: Path, *, trace_memory: bool) -> dict:
    """Run ``script`` as a child on ``path`` and ``database``; the JSON it printed last."""
    command = [sys.executable, script, "--child", str(path), str(database)]
    if trace_memory:
        command.append("--trace-memory")
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def heap_ratio(heaps: list[tuple[int, float]]) -> str:
    """How the peak Python heap grew from the smallest size to the largest."""
    (small_rows, small_heap), (large_rows, large_heap) = heaps[0], heaps[-1]
    return (
        f"peak Python heap, {large_rows:,} vs {small_rows:,} rows: "
        f"{large_heap / small_heap:.2f}x for {large_rows / small_rows:.0f}x the rows"
    )
