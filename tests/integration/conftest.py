"""Real services for the outbox tests: PostgreSQL, a Redis broker, Celery workers started as
processes, a gunicorn web server when the web side needs its own broker settings, and an
SMTP sink the workers send to."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from .smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def _reusable_test_database(django_db_setup, django_db_blocker):
    """These tests commit for real, so each ends by emptying every table, and --reuse-db
    keeps the test database for the next run. That run still starts with the catalog,
    the content pages and the Marketing group: pytest-django's setup runs `migrate`, whose
    post_migrate handlers write them back before serialized_rollback takes its snapshot.
    After the tests the snapshot is restored, as tests/browser/conftest.py does, so the
    database is left as migrated."""
    yield
    contents = getattr(connection, "_test_serialized_contents", None)
    if contents:
        with django_db_blocker.unblock():
            connection.creation.deserialize_db_from_string(contents)


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def real_stack(db):
    """Fails (never skips) when the real services are not configured."""
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.fail(
            "integration tests need DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://..."
            " (run `make integration`)"
        )
    import redis

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    # Tasks or unacked deliveries left by an earlier run (or a killed worker) must not
    # reach this test's workers.
    keys = ["celery", "unacked", "unacked_index", "unacked_mutex"]
    broker.delete(*keys)
    yield
    broker.delete(*keys)


@pytest.fixture
def sink():
    with SmtpSink() as smtp:
        yield smtp


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(**overrides) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
    }
    env.pop("EMAIL_BACKEND", None)
    env.update(overrides)
    return env


class StackProcess:
    """A process of the stack, started as an operator would, in its own process group and
    logging to a file; ready once ``ready`` appears in its log."""

    stop_signal = signal.SIGTERM

    def __init__(self, tmp_path: Path, name: str, argv: list[str], env: dict, *, ready: str):
        self.log = tmp_path / f"{name}-{uuid.uuid4().hex[:8]}.log"
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=_environment(**env),
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while ready not in self.output():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise AssertionError(f"{name} did not become ready:\n{self.output()}")
            time.sleep(0.1)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, self.stop_signal)
            self.process.wait(10)


class Worker(StackProcess):
    """``celery -A config worker -B`` (with its embedded beat); stopped by SIGKILL, with
    its beat: no cleanup, no acks, no goodbyes."""

    stop_signal = signal.SIGKILL

    def __init__(self, tmp_path: Path, sink: SmtpSink, **env):
        name = f"leads-it-{uuid.uuid4().hex[:8]}"
        argv = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-B",
            "--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-l", "info", "-n", f"{name}@%h", "-s", str(tmp_path / f"{name}-beat-schedule"),
        ]  # fmt: skip
        super().__init__(
            tmp_path,
            name,
            argv,
            {
                "EMAIL_URL": sink.url,
                "EMAIL_TIMEOUT": "2",
                "OUTBOX_LEASE_SECONDS": "4",
                "OUTBOX_SWEEP_SECONDS": "1",
                "OUTBOX_REQUEUE_AFTER_SECONDS": "2",
                **env,
            },
            ready="ready.",
        )

    kill = StackProcess.stop


class Relay(StackProcess):
    """``manage.py outbox_dispatch --every SECONDS`` (the Procfile's relay)."""

    def __init__(self, tmp_path: Path, *, every: float, **env):
        super().__init__(
            tmp_path,
            "relay",
            [sys.executable, "manage.py", "outbox_dispatch", "--every", str(every)],
            env,
            ready="outbox relay:",
        )


def _starter(make):
    """A fixture's ``start(**kwargs)``: every process it started is stopped after the test."""
    started = []

    def start(**kwargs):
        started.append(make(**kwargs))
        return started[-1]

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def start_worker(tmp_path, sink, real_stack):
    yield from _starter(lambda **env: Worker(tmp_path, sink, **env))


@pytest.fixture
def start_relay(tmp_path, real_stack):
    yield from _starter(lambda **kwargs: Relay(tmp_path, **kwargs))


class WebServer:
    """gunicorn serving the site, with whatever broker URL the test gives it."""

    def __init__(self, tmp_path: Path, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "gunicorn.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                "1",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=_environment(**env),
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"gunicorn did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)


@pytest.fixture
def start_web(tmp_path, real_stack):
    yield from _starter(lambda **env: WebServer(tmp_path, **env))
