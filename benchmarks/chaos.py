"""Chaos: leads through the balancer while workers die and Redis restarts and goes away.

    .venv/bin/python benchmarks/chaos.py [--leads 3000] [--duration 150]

Starts the cluster (deploy/cluster.py: HAProxy with TLS, two gunicorn instances, two
Celery workers, the outbox relay, one beat) with production settings, on a Redis of its
own (port 6392, so no one else's broker is touched) and a fresh database on the
PostgreSQL at BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/...), sending to an
SMTP sink. Then:

- posts ``--leads`` distinct leads through the balancer, spread evenly over
  ``--duration`` seconds, from many client addresses (patients, each under the rate
  limit); a lead answered with a 5xx or a cut connection is posted again after a second
  (a repeated lead is recognised, so retrying is safe);
- SIGKILLs a worker (the whole process group, as the OOM killer or a crash would) about
  every 30 s; a supervisor restarts any dead member a second later, as systemd's
  Restart=always does;
- restarts Redis once (at 20 s) and stops it for 60 s (from 60 s);
- waits for the outbox to drain, then prints: leads answered vs stored, emails owed vs
  delivered, lost, delivered twice (same Message-ID), 5xx while Redis was down, and the
  time from posting a lead to its confirmation in the sink (p50/p95).

Every process it starts is stopped at the end, whatever happens.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.cluster import Client, Cluster, ClusterSettings  # noqa: E402
from tests.cluster.ledger import lead_payload, owed_now, received, settle  # noqa: E402

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PREFIX = "chaos-"
KILL_EVERY_SECONDS = 30
REDIS_RESTART_AT = 20
REDIS_STOP_AT, REDIS_STOP_SECONDS = 60, 60
CLIENT_THREADS = 16
SINK_PORT = 18066


@dataclass
class Arrival:
    message_id: str
    rcpt_to: list[str]
    at: float


class SinkProcess:
    """tests/integration/smtp_sink.py in a process of its own, so this one's client threads
    do not slow the senders down; ``received`` reads what it has journaled so far."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.journal = directory / "sink.jsonl"
        self.journal.unlink(missing_ok=True)
        self.url = f"smtp://127.0.0.1:{SINK_PORT}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.smtp_sink", "--port", str(SINK_PORT),
             "--journal", str(self.journal)],
            cwd=ROOT,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", SINK_PORT), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("the SMTP sink did not start") from None
                time.sleep(0.1)

    @property
    def received(self) -> list[Arrival]:
        if not self.journal.exists():
            return []
        lines = self.journal.read_text().splitlines()
        return [Arrival(*json.loads(line)) for line in lines if line.endswith("]")]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


class Run:
    """Everything one chaos run observed, in time.monotonic() seconds."""

    def __init__(self, leads: int):
        self.posted_at: dict[int, float] = {}
        self.answers: list[tuple[float, object]] = []
        self.final: dict[int, object] = {}
        self.redis_down: tuple[float, float] | None = None
        self.events: list[str] = []
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.leads = leads

    def note(self, text: str) -> None:
        line = f"{time.monotonic() - self.started:6.1f} s  {text}"
        self.events.append(line)
        print(line, flush=True)

    def during_outage(self, at: float) -> bool:
        return self.redis_down is not None and self.redis_down[0] <= at <= self.redis_down[1]


def post_all(cluster: Cluster, run: Run, duration: float, stop: threading.Event) -> None:
    """Posts every lead at its slot of the schedule, retrying until each is stored."""
    context = cluster.ssl_context()
    slots = iter(range(run.leads))
    interval = duration / run.leads

    def patient_desk(_):
        while not stop.is_set():
            with run.lock:
                n = next(slots, None)
            if n is None:
                return
            time.sleep(max(0.0, run.started + n * interval - time.monotonic()))
            run.posted_at[n] = time.monotonic()
            for attempt in range(120):
                # A patient is a client address of its own: 127.0.<1-4>.<1-250>.
                address = f"127.0.{n // 250 % 4 + 1}.{n % 250 + 1}"
                client = Client(cluster.url, ssl_context=context, source_address=address)
                try:
                    answer = client.request(
                        "POST", "/api/v1/leads/", json_body=lead_payload(n, PREFIX)
                    ).status
                except OSError:
                    answer = "connection"
                finally:
                    client.close()
                with run.lock:
                    run.answers.append((time.monotonic(), answer))
                if answer in (200, 201) or (isinstance(answer, int) and answer < 500):
                    run.final[n] = answer
                    break
                time.sleep(1 + attempt * 0.1)

    threads = [threading.Thread(target=patient_desk, args=(k,)) for k in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def supervise(cluster: Cluster, run: Run, stop: threading.Event) -> None:
    """Restart any dead web instance, worker or relay a second after it died (systemd's
    job)."""
    members = [
        (cluster.worker_name(i), lambda i=i: cluster.start_worker(i, wait=False)) for i in range(2)
    ]
    members += [(cluster.web_name(i), lambda i=i: cluster.start_web(i)) for i in range(2)]
    members.append(("relay", lambda: cluster.start_relay(wait=False)))
    while not stop.wait(1):
        if not cluster.alive("redis"):
            # A member refuses to start without its cache (CACHE_URL); systemd retries
            # (the units set no start limit) until Redis is back.
            continue
        for name, start in members:
            if not cluster.alive(name):
                try:
                    start()
                    run.note(f"{name} restarted")
                except RuntimeError as error:
                    run.note(f"{name} failed to restart: {str(error).splitlines()[0]}")


def kill_workers(cluster: Cluster, run: Run, duration: float, stop: threading.Event) -> None:
    """SIGKILL one worker (alternately) every KILL_EVERY_SECONDS, from 15 s on."""
    victim = 0
    for at in range(15, int(duration) + 1, KILL_EVERY_SECONDS):
        if stop.wait(max(0.0, run.started + at - time.monotonic())):
            return
        cluster.kill_worker(victim, signal.SIGKILL)
        run.note(f"SIGKILL {cluster.worker_name(victim)}")
        victim = 1 - victim


def disturb_redis(cluster: Cluster, run: Run, stop: threading.Event) -> None:
    """Restart Redis once, then stop it for REDIS_STOP_SECONDS."""
    if stop.wait(max(0.0, run.started + REDIS_RESTART_AT - time.monotonic())):
        return
    cluster.stop_redis()
    cluster.start_redis()
    run.note("Redis restarted")
    if stop.wait(max(0.0, run.started + REDIS_STOP_AT - time.monotonic())):
        return
    cluster.stop_redis()
    down = time.monotonic()
    run.redis_down = (down, down + REDIS_STOP_SECONDS)
    run.note(f"Redis stopped for {REDIS_STOP_SECONDS} s")
    time.sleep(REDIS_STOP_SECONDS)
    cluster.start_redis()
    run.redis_down = (down, time.monotonic())
    run.note("Redis is back")


def report(cluster: Cluster, sink: SinkProcess, run: Run, drain_timeout: float) -> None:
    ids = [
        pk
        for (pk,) in cluster.sql(
            "SELECT id::text FROM leads_lead WHERE email LIKE %s", [f"{PREFIX}%"]
        )
    ]
    deadline = time.monotonic() + drain_timeout
    while True:
        ledger = settle(owed_now(cluster, ids), received(sink))
        if not ledger.lost or time.monotonic() > deadline:
            break
        print(f"  draining: {ledger.delivered}/{ledger.owed} delivered", flush=True)
        time.sleep(5)
    drained = time.monotonic()

    emails = {f"{PREFIX}{n}@example.com": n for n in run.posted_at}
    confirmed: dict[int, float] = {}
    for message in list(sink.received):
        n = emails.get(message.rcpt_to[0]) if message.rcpt_to else None
        if n is not None and n not in confirmed:
            confirmed[n] = message.at
    waits = sorted(confirmed[n] - run.posted_at[n] for n in confirmed)
    outage_waits = sorted(
        confirmed[n] - run.posted_at[n] for n in confirmed if run.during_outage(run.posted_at[n])
    )
    other_waits = sorted(
        confirmed[n] - run.posted_at[n]
        for n in confirmed
        if not run.during_outage(run.posted_at[n])
    )
    answers = Counter(answer for _, answer in run.answers)
    outage_5xx = sum(
        1
        for at, answer in run.answers
        if run.during_outage(at) and (answer == "connection" or answer >= 500)
    )
    all_5xx = sum(1 for _, a in run.answers if a == "connection" or a >= 500)
    stored = len(ids)

    def pct(values, q):
        return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")

    print()
    print(f"leads: {run.leads} posted, {len(run.final)} answered 200/201, {stored} stored")
    print(f"answers (every attempt): {dict(answers)}")
    print(f"5xx or cut connections: {all_5xx} in all, {outage_5xx} while Redis was down")
    print(
        f"emails owed at once: {ledger.owed}, delivered {ledger.delivered}, "
        f"lost {len(ledger.lost)}, delivered twice {len(ledger.twice)} "
        f"({len(ledger.twice_unexplained)} without a lease takeover)"
    )
    print(
        f"post -> confirmation: p50 {pct(waits, 0.5):.1f} s, p95 {pct(waits, 0.95):.1f} s, "
        f"max {waits[-1] if waits else float('nan'):.1f} s over {len(waits)} leads"
    )
    print(
        f"  posted while Redis was up: p50 {pct(other_waits, 0.5):.1f} s, "
        f"p95 {pct(other_waits, 0.95):.1f} s; while it was down "
        f"({len(outage_waits)} leads): p50 {pct(outage_waits, 0.5):.1f} s, "
        f"p95 {pct(outage_waits, 0.95):.1f} s"
    )
    if run.redis_down:
        after = sorted(
            confirmed[n] - run.redis_down[1]
            for n in confirmed
            if run.during_outage(run.posted_at[n])
        )
        within = sum(1 for seconds in after if seconds <= 60)
        print(
            f"  confirmations owed during the outage, after Redis returned: p50 "
            f"{pct(after, 0.5):.1f} s, p95 {pct(after, 0.95):.1f} s, max {after[-1]:.1f} s; "
            f"{within} of {len(after)} within a minute"
        )
    print(f"drained {drained - run.started:.0f} s after the start")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=3000)
    parser.add_argument("--duration", type=float, default=150.0, help="seconds of posting")
    parser.add_argument("--drain-timeout", type=float, default=900.0)
    args = parser.parse_args()

    database = PG_URL.rsplit("/", 1)[0] + "/spine_match_prod_chaos"
    settings = ClusterSettings.side_by_side(
        "chaos", first_port=18060, redis_port=6392, database_url=database
    )
    sink = SinkProcess(settings.directory)
    settings.email_url = sink.url
    cluster = Cluster(settings)
    stop = threading.Event()
    try:
        print(f"starting the cluster (logs in {cluster.logs}) ...", flush=True)
        cluster.up(fresh=True, seed=2000)
        run = Run(args.leads)
        run.note(f"posting {args.leads} leads over {args.duration:.0f} s")
        redis_events = threading.Thread(target=disturb_redis, args=(cluster, run, stop))
        helpers = [
            redis_events,
            threading.Thread(target=kill_workers, args=(cluster, run, args.duration, stop)),
            threading.Thread(target=supervise, args=(cluster, run, stop)),
        ]
        for helper in helpers:
            helper.start()
        post_all(cluster, run, args.duration, stop)
        run.note("every lead answered")
        redis_events.join()  # Redis must be back before the outbox can drain
        report(cluster, sink, run, args.drain_timeout)
    finally:
        stop.set()
        cluster.down()
        sink.stop()


if __name__ == "__main__":
    main()
