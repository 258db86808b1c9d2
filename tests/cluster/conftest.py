"""One production-shaped cluster for the whole module (deploy/cluster.py): HAProxy with
TLS, two gunicorn instances, two Celery workers, one beat, its own Redis and its own
PostgreSQL (so both can be stopped and restarted), and an SMTP sink the workers send to.

Every process it starts is stopped at the end, whatever happened; a test that kills a
member starts it again before it finishes.
"""

import shutil
from pathlib import Path

import pytest

from deploy.cluster import Cluster, ClusterSettings
from tests.integration.smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parents[2]
# The limit the rate test measures; the other tests post from many client addresses.
RATE = 40
OUTBOX_LEASE_SECONDS = 8


@pytest.fixture(scope="session")
def sink():
    with SmtpSink() as smtp:
        yield smtp


@pytest.fixture(scope="session")
def cluster(sink):
    if not shutil.which("haproxy"):
        pytest.fail("HAProxy is not installed: run `make cluster-test` (scripts/cluster-up)")
    settings = ClusterSettings.side_by_side(
        "cluster-tests",
        first_port=18050,
        redis_port=6391,
        postgres_port=5441,
        database_url="postgres://postgres@127.0.0.1:5441/spine_match_prod_cluster",
        email_url=sink.url,
        env={
            "PUBLIC_POST_RATE": f"{RATE}/minute",
            # Short enough that a killed worker's message is taken over within the test.
            "OUTBOX_LEASE_SECONDS": str(OUTBOX_LEASE_SECONDS),
            "EMAIL_TIMEOUT": "3",
            "OUTBOX_SWEEP_SECONDS": "1",
            "OUTBOX_REQUEUE_AFTER_SECONDS": "15",
            # A send that met the database restarting is retried seconds later, not 30.
            "OUTBOX_RETRY_BASE_SECONDS": "2",
        },
    )
    running = Cluster(settings)
    running.up(fresh=True, seed=400)
    try:
        yield running
    finally:
        running.down()


@pytest.fixture
def fresh_budgets(cluster):
    """Throttle counts from an earlier test must not refuse this one's posts."""
    cluster.flush_cache()
