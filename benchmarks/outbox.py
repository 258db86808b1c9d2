"""Sending: how fast the workers empty the outbox, and the CPU each email costs each part.

    .venv/bin/python benchmarks/outbox.py [--leads 500]

Starts the production layout (deploy/cluster.py, as benchmarks/leads.py does: its own
PostgreSQL on port 5441 and Redis on 6393) sending to an SMTP sink in a process of its
own, stops the two Celery workers, posts ``--leads`` leads through the balancer (each
owes a confirmation and three notifications at once), then starts the workers (4 pool
processes each) and times them until every email due is sent. Prints emails per second
and the CPU milliseconds per email of the workers, PostgreSQL, Redis and the relay: other
work on a shared machine slows the wall clock, not the CPU an email costs.
"""

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.leads import CLUSTER_PG_PORT, _burst, _cpu_seconds, _postmaster  # noqa: E402
from deploy.cluster import Cluster, ClusterSettings  # noqa: E402

SINK_PORT = 18067
DUE = "status IN ('pending', 'sending') AND due_at <= now()"


def _cpu_by_part(cluster: Cluster) -> dict[str, float]:
    return {
        "workers": sum(
            _cpu_seconds(cluster.processes[cluster.worker_name(i)].pid) for i in range(2)
        ),
        "postgresql": _cpu_seconds(_postmaster(cluster)),
        "redis": _cpu_seconds(cluster.processes["redis"].pid),
        "relay": _cpu_seconds(cluster.processes["relay"].pid),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=500)
    args = parser.parse_args()

    settings = ClusterSettings.side_by_side(
        "bench-outbox",
        first_port=18070,
        redis_port=6393,
        postgres_port=CLUSTER_PG_PORT,
        database_url=f"postgres://postgres@127.0.0.1:{CLUSTER_PG_PORT}/spine_match_prod_bench",
        email_url=f"smtp://127.0.0.1:{SINK_PORT}",
        env={"PUBLIC_POST_RATE": "1000000/minute", "LEADS_PER_IP_PER_DAY": "1000000"},
    )
    settings.directory.mkdir(parents=True, exist_ok=True)
    sink = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.smtp_sink", "--port", str(SINK_PORT),
         "--journal", str(settings.directory / "sink.jsonl")],
        cwd=ROOT,
    )  # fmt: skip
    cluster = Cluster(settings)
    try:
        cluster.up(fresh=True, seed=2000)
        for index in range(2):
            cluster.kill_worker(index, signal.SIGTERM)
        _burst(cluster, 0, args.leads)
        time.sleep(2)  # the relay hands the last leads' messages over
        [(owed,)] = cluster.sql(f"SELECT count(*) FROM leads_outboundmessage WHERE {DUE}")
        for index in range(2):
            cluster.start_worker(index)
        started, cpu_started = time.monotonic(), _cpu_by_part(cluster)
        while cluster.sql(f"SELECT 1 FROM leads_outboundmessage WHERE {DUE} LIMIT 1"):
            time.sleep(0.5)
        elapsed = time.monotonic() - started
        cpu = {
            part: (spent - cpu_started[part]) / owed * 1000
            for part, spent in _cpu_by_part(cluster).items()
        }
    finally:
        cluster.down()
        sink.terminate()
        sink.wait(10)
    print(
        f"{owed} emails ({args.leads} leads) sent by 2 workers x "
        f"{settings.worker_concurrency} processes in {elapsed:.1f} s = {owed / elapsed:.0f} "
        "emails/s; CPU ms per email: "
        + ", ".join(f"{part} {ms:.1f}" for part, ms in cpu.items())
        + f"; {sum(cpu.values()):.1f} in all = at most "
        f"{2000 / sum(cpu.values()):.0f} emails/s on 2 cores with nothing else running"
    )


if __name__ == "__main__":
    main()
