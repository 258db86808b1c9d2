"""What every long-running process does before it serves: refuse to start misconfigured,
and set up the directory where its worker processes keep their metrics.

`manage.py` runs the system checks itself; gunicorn (gunicorn.conf.py) and the Celery
worker and beat (config.celery_app) call ``refuse_to_start_on_errors`` so that a setting
that does not parse or a cache that does not answer stops them too, with the same message.
"""

import io
import os
import sys
from pathlib import Path

VAR_DIR = Path(__file__).resolve().parent.parent / "var"


def refuse_to_start_on_errors(process: str) -> None:
    """Set Django up and run its system checks; on an error print them and exit(1)."""
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        django.setup()
        call_command("check", stdout=io.StringIO())
    except (ImproperlyConfigured, SystemCheckError) as error:
        sys.stderr.write(f"{process} refuses to start: {error}\n")
        sys.exit(1)
    from django.core.cache import caches

    # Worker processes fork from this one: they open their own connections.
    caches.close_all()


def metrics_directory(instance: str) -> Path:
    """The directory where this instance's processes keep their metric files, named in
    PROMETHEUS_MULTIPROC_DIR for the processes it starts (default var/metrics/<instance>).

    Must run before anything imports prometheus_client, which picks its storage when first
    imported. Files left by processes that are gone (an earlier run) are removed: their
    counts would be added to this run's.
    """
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its directory was set")
    directory = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or VAR_DIR / "metrics" / instance)
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("*.db"):
        pid = path.stem.rpartition("_")[2]
        if not (pid.isdigit() and Path(f"/proc/{pid}").exists()):
            path.unlink(missing_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    return directory
