"""A misconfigured production start fails at once, naming the variable: `manage.py
check`, gunicorn and the Celery worker alike, each run as the operator would run it."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from config.environment import DEVELOPMENT_SECRET_KEY
from tests.processes import operator_environment

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "SECRET_KEY": "a-production-key-of-sufficient-length-and-variety-0123456789",
    "ALLOWED_HOSTS": "spinematch.example",
}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(command: list[str], timeout: float = 60, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        cwd=ROOT,
        env=operator_environment(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def manage_check(**env) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", "check"], **env)


def test_the_production_environment_passes():
    result = manage_check(**GOOD)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_debug_runs_on_the_development_defaults():
    assert manage_check(DEBUG="1").returncode == 0


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"ALLOWED_HOSTS": "spinematch.example"}, "SECRET_KEY"),
        ({**GOOD, "SECRET_KEY": DEVELOPMENT_SECRET_KEY}, "SECRET_KEY"),
        ({"SECRET_KEY": GOOD["SECRET_KEY"]}, "ALLOWED_HOSTS"),
        ({**GOOD, "DATABASE_URL": "spine_match on the db host"}, "DATABASE_URL"),
        ({**GOOD, "DATABASE_URL": "postgres://app@db.internal:five/spine"}, "DATABASE_URL"),
        ({**GOOD, "DATABASE_URL": "mysql://app@db.internal/spine"}, "DATABASE_URL"),
        ({**GOOD, "CACHE_URL": "memcached-cluster"}, "CACHE_URL"),
        ({**GOOD, "CACHE_URL": f"redis://127.0.0.1:{closed_port()}/1"}, "CACHE_URL"),
        ({**GOOD, "LOG_FORMAT": "xml"}, "LOG_FORMAT"),
    ],
    ids=[
        "no-secret-key",
        "development-key",
        "no-allowed-hosts",
        "database-url-not-a-url",
        "database-url-bad-port",
        "database-url-unknown-engine",
        "cache-url-not-a-url",
        "cache-unreachable",
        "log-format",
    ],
)
def test_a_bad_variable_stops_manage_py_naming_it(env, variable):
    result = manage_check(**env)
    assert result.returncode != 0
    last_lines = "\n".join((result.stderr + result.stdout).strip().splitlines()[-6:])
    assert variable in last_lines, last_lines


def test_gunicorn_refuses_to_start_on_the_development_key(tmp_path):
    result = run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        ALLOWED_HOSTS="spinematch.example",
        BIND=f"127.0.0.1:{closed_port()}",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "gunicorn refuses to start: SECRET_KEY is not set" in result.stderr


def test_a_celery_worker_refuses_to_start_on_an_unreachable_cache():
    result = run(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"],
        **GOOD,
        CACHE_URL=f"redis://127.0.0.1:{closed_port()}/1",
        CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port()}/0",
    )
    assert result.returncode != 0
    assert "celery worker refuses to start" in result.stderr
    assert "CACHE_URL: the cache at redis://127.0.0.1" in result.stderr


def test_whitenoise_serves_the_source_files_until_they_are_collected(tmp_path):
    show = [
        sys.executable,
        "-c",
        "from config import settings as s; print(s.WHITENOISE_USE_FINDERS)",
    ]
    assert run(show, **GOOD, STATIC_ROOT=str(tmp_path)).stdout.strip() == "True"
    (tmp_path / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    assert run(show, **GOOD, STATIC_ROOT=str(tmp_path)).stdout.strip() == "False"
