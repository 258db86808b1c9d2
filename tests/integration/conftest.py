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


class Worker:
    """``celery -A config worker -B`` (with its embedded beat) in its own process group."""

    def __init__(self, tmp_path: Path, sink: SmtpSink, **env):
        name = f"leads-it-{uuid.uuid4().hex[:8]}"
        self.log = tmp_path / f"{name}.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-B",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "info",
                "-n",
                f"{name}@%h",
                "-s",
                str(tmp_path / f"{name}-beat-schedule"),
            ],
            cwd=ROOT,
            env=_environment(
                **{
                    "EMAIL_URL": sink.url,
                    "EMAIL_TIMEOUT": "2",
                    "OUTBOX_LEASE_SECONDS": "4",
                    "OUTBOX_SWEEP_SECONDS": "1",
                    "OUTBOX_REQUEUE_AFTER_SECONDS": "2",
                    **env,
                }
            ),
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until("ready.", timeout=20)

    def _wait_until(self, text: str, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"worker did not become {text!r}:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the worker and its embedded beat: no cleanup, no acks, no goodbyes."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


@pytest.fixture
def start_worker(tmp_path, sink, real_stack):
    workers: list[Worker] = []

    def start(**env) -> Worker:
        worker = Worker(tmp_path, sink, **env)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.kill()


class Relay:
    """``manage.py outbox_dispatch --every SECONDS`` (the Procfile's relay) in its own
    process group."""

    def __init__(self, tmp_path: Path, *, every: float, **env):
        self.log = tmp_path / f"relay-{uuid.uuid4().hex[:8]}.log"
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "outbox_dispatch", "--every", str(every)],
            cwd=ROOT,
            env=_environment(**env),
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while "outbox relay:" not in self.output():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise AssertionError(f"the relay did not start:\n{self.output()}")
            time.sleep(0.1)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)


@pytest.fixture
def start_relay(tmp_path, real_stack):
    relays: list[Relay] = []

    def start(*, every: float, **env) -> Relay:
        relay = Relay(tmp_path, every=every, **env)
        relays.append(relay)
        return relay

    yield start
    for relay in relays:
        relay.stop()


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
    servers: list[WebServer] = []

    def start(**env) -> WebServer:
        server = WebServer(tmp_path, **env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
