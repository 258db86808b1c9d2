"""`manage.py check --deploy --fail-level WARNING` is clean under the documented production
environment (deploy/systemd/env.example), with its cache on a real Redis."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.processes import operator_environment

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def documented_environment() -> dict[str, str]:
    lines = (ROOT / "deploy" / "systemd" / "env.example").read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line and not line.startswith("#")]
    # systemd, like a shell, takes the quotes off a quoted value.
    return {name: value.strip('"') for name, value in pairs}


def deploy_check(**overrides) -> subprocess.CompletedProcess:
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.fail("needs CELERY_BROKER_URL=redis://... (run `make integration`)")
    # The documented Redis host is an example; the check must reach a real one.
    env = {**documented_environment(), "CACHE_URL": settings.CELERY_BROKER_URL, **overrides}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=operator_environment(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_documented_production_environment_passes_the_deploy_check():
    result = deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_deploy_check_fails_on_a_weakened_environment():
    result = deploy_check(
        SECURE_SSL_REDIRECT="0", CACHE_URL="locmemcache://", ADMIN_REQUIRE_2FA="0"
    )
    assert result.returncode != 0
    for warning in ("security.W008", "core.W001", "core.W002"):
        assert warning in result.stderr
