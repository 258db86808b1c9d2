"""The production layout on one machine: HAProxy (TLS) in front of two gunicorn instances,
two Celery workers, the outbox relay and one beat, on PostgreSQL and Redis.

    scripts/cluster-up [--fresh] [--seed 2000] [--env NAME=VALUE ...]
    scripts/cluster-down
    .venv/bin/python -m deploy.cluster status

Every process is started the way deploy/ starts it in production (gunicorn.conf.py,
deploy/haproxy.cfg, the Procfile's release, worker, relay and beat commands) with the production
settings (DEBUG unset, TLS at HAProxy, TRUSTED_PROXY_COUNT=1, CACHE_URL and the broker on
Redis, JSON logs), each in its own process group, logging to var/cluster/logs/. The site
answers at https://127.0.0.1:18043/ (a self-signed certificate made for the run, in
var/cluster/tls/); plain HTTP on 18080 redirects there.

Redis is the cluster's own server (appendonly, port 6390), so it can be stopped and
restarted without touching anyone else's. PostgreSQL is the server at --database-url, or,
with --postgres-port, a PostgreSQL cluster of its own (created with pg_createcluster) that
can be restarted too. The integration tests (tests/cluster/) and benchmarks/chaos.py drive
the same ``Cluster`` object: they kill and restart its members.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
HAPROXY_CONFIG = ROOT / "deploy" / "haproxy.cfg"
HOST = "localhost"
PG_VERSION = "15"


@dataclass
class ClusterSettings:
    directory: Path = ROOT / "var" / "cluster"
    http_port: int = 18080
    https_port: int = 18043
    web_ports: tuple[int, ...] = (18001, 18002)
    worker_metrics_ports: tuple[int, ...] = (18011, 18012)
    redis_port: int = 6390
    database_url: str = "postgres://postgres@127.0.0.1:5432/spine_match_prod"
    # A PostgreSQL cluster of our own on this port (its database named as in database_url).
    postgres_port: int | None = None
    web_concurrency: int = 2
    # Sending waits on database commits and SMTP more than it computes.
    worker_concurrency: int = 4
    email_url: str = ""
    log_level: str = "INFO"
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def side_by_side(cls, name: str, *, first_port: int, redis_port: int, **settings):
        """A cluster that can run next to others (tests, benchmarks): six consecutive
        ports from ``first_port`` (HTTP, HTTPS, two web instances, two workers' metrics),
        its own Redis port and its own directory, var/<name>."""
        return cls(
            directory=ROOT / "var" / name,
            http_port=first_port,
            https_port=first_port + 1,
            web_ports=(first_port + 2, first_port + 3),
            worker_metrics_ports=(first_port + 4, first_port + 5),
            redis_port=redis_port,
            **settings,
        )

    def to_json(self) -> dict:
        return {**asdict(self), "directory": str(self.directory)}

    @classmethod
    def from_json(cls, data: dict) -> ClusterSettings:
        data = dict(data)
        data["directory"] = Path(data["directory"])
        data["web_ports"] = tuple(data["web_ports"])
        data["worker_metrics_ports"] = tuple(data["worker_metrics_ports"])
        return cls(**data)


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # names in lower case (HAProxy sends them so)
    body: bytes

    def json(self):
        return json.loads(self.body)


class Client:
    """One keep-alive connection to the balancer (HTTPS) or to one instance (HTTP).

    Requests to an instance directly carry the headers HAProxy would add, so the site
    sees a client address and HTTPS as it does in production.
    """

    def __init__(
        self,
        base_url: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30,
        forwarded_for: str | None = None,
        source_address: str | None = None,
    ):
        """``source_address``: the loopback address to connect from (127.0.0.2, ...), so
        the balancer sees another client."""
        parts = urlsplit(base_url)
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port
        self.ssl_context = ssl_context
        self.timeout = timeout
        self.forwarded_for = forwarded_for
        self.source_address = (source_address, 0) if source_address else None
        self.cookies: dict[str, str] = {}
        self._connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            if self.https:
                self._connection = http.client.HTTPSConnection(
                    self.host,
                    self.port,
                    timeout=self.timeout,
                    context=self.ssl_context,
                    source_address=self.source_address,
                )
            else:
                self._connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout, source_address=self.source_address
                )
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(self, method: str, path: str, *, json_body=None, form=None, headers=None):
        """The response; raises OSError (or http.client's errors) when the connection
        failed, after closing it so the next request opens a new one."""
        headers = {"Host": HOST, **(headers or {})}
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            body = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if not self.https:
            headers.setdefault("X-Forwarded-Proto", "https")
            headers.setdefault("X-Forwarded-For", self.forwarded_for or "203.0.113.10")
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = self._connect()
        try:
            connection.request(method, path, body=body, headers=headers)
            reply = connection.getresponse()
            payload = reply.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        for value in reply.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if reply.headers.get("Connection", "").lower() == "close":
            self.close()
        return Response(reply.status, {k.lower(): v for k, v in reply.headers.items()}, payload)


class Cluster:
    def __init__(self, settings: ClusterSettings | None = None):
        self.settings = settings or ClusterSettings()
        self.directory = self.settings.directory
        self.logs = self.directory / "logs"
        self.processes: dict[str, subprocess.Popen] = {}
        # Where each member's current run starts in its log (logs are appended to).
        self._log_offsets: dict[str, int] = {}
        self._state = self.directory / "state.json"
        self._secrets = self.directory / "secrets.json"

    # ---- addresses -------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.settings.https_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.http_port}"

    def web_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.settings.web_ports[index]}"

    @property
    def certificate(self) -> Path:
        return self.directory / "tls" / "cert.pem"

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.certificate))
        context.check_hostname = False  # the balancer is reached by IP; the chain is checked
        return context

    def client(self, *, timeout: float = 30, source_address: str | None = None) -> Client:
        """A client of the balancer, over HTTPS."""
        return Client(
            self.url,
            ssl_context=self.ssl_context(),
            timeout=timeout,
            source_address=source_address,
        )

    def instance_client(self, index: int, **kwargs) -> Client:
        """A client of one web instance, bypassing the balancer."""
        return Client(self.web_url(index), **kwargs)

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.settings.redis_port}"

    @property
    def database_url(self) -> str:
        url = self.settings.database_url
        if self.settings.postgres_port:
            parts = urlsplit(url)
            url = f"postgres://postgres@127.0.0.1:{self.settings.postgres_port}{parts.path}"
        return url

    @property
    def metrics_token(self) -> str:
        return self._secret_values()["METRICS_TOKEN"]

    # ---- environment -----------------------------------------------------------------

    def _secret_values(self) -> dict:
        if not self._secrets.exists():
            self._secrets.parent.mkdir(parents=True, exist_ok=True)
            self._secrets.write_text(
                json.dumps(
                    {
                        "SECRET_KEY": secrets.token_urlsafe(50),
                        "METRICS_TOKEN": secrets.token_urlsafe(24),
                    }
                )
            )
            self._secrets.chmod(0o600)
        return json.loads(self._secrets.read_text())

    def app_env(self, **extra) -> dict[str, str]:
        """The production environment every app process of the cluster gets."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PG"))}
        for name in ("DEBUG", "EMAIL_BACKEND", "PROMETHEUS_MULTIPROC_DIR"):
            env.pop(name, None)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                **self._secret_values(),
                "ALLOWED_HOSTS": f"{HOST},127.0.0.1",
                "DATABASE_URL": self.database_url,
                "CACHE_URL": f"{self.redis_url}/1",
                "CELERY_BROKER_URL": f"{self.redis_url}/0",
                "TRUSTED_PROXY_COUNT": "1",
                "SITE_URL": f"https://{HOST}:{self.settings.https_port}",
                "STATIC_ROOT": str(self.directory / "static"),
                "CELERY_BEAT_SCHEDULE_FILENAME": str(self.directory / "beat-schedule"),
                "EMAIL_FILE_PATH": str(self.directory / "sent-mail"),
                "LOG_FORMAT": "json",
                "LOG_LEVEL": self.settings.log_level,
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.settings.email_url:
            env["EMAIL_URL"] = self.settings.email_url
        env.update(self.settings.env)
        env.update(extra)
        return env

    def manage(self, *args: str, env: dict | None = None, check: bool = True):
        """`manage.py <args>` with the cluster's environment; returns the finished process."""
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.app_env(**(env or {})),
            capture_output=True,
            text=True,
            check=check,
        )

    # ---- processes -------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        self.logs.mkdir(parents=True, exist_ok=True)
        path = self.logs / f"{name}.log"
        self._log_offsets[name] = path.stat().st_size if path.exists() else 0
        with path.open("ab") as log:
            process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.processes[name] = process
        self._save_state()
        return process

    def log(self, name: str) -> str:
        """What ``name`` has logged since it was last started."""
        path = self.logs / f"{name}.log"
        if not path.exists():
            return ""
        with path.open("rb") as log:
            log.seek(self._log_offsets.get(name, 0))
            return log.read().decode(errors="replace")

    def alive(self, name: str) -> bool:
        process = self.processes.get(name)
        return process is not None and process.poll() is None

    def kill(self, name: str, sig: int = signal.SIGKILL, *, timeout: float = 30) -> None:
        """Signal ``name``'s whole process group (gunicorn's or Celery's children too) and
        wait for its leader; after ``timeout`` seconds it is SIGKILLed."""
        process = self.processes.get(name)
        if process is None or process.poll() is not None:
            return
        _signal_group(process.pid, sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(10)
        # Leftover children of a SIGKILLed leader (a prefork pool) go with their group.
        _signal_group(process.pid, signal.SIGKILL)

    def _wait_for(self, name: str, ready, *, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive(name):
                break
            try:
                if ready():
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{name} did not become {what}:\n{self.log(name)[-4000:]}")

    # Redis

    def start_redis(self) -> None:
        data = self.directory / "redis"
        data.mkdir(parents=True, exist_ok=True)
        self._spawn(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.settings.redis_port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(data),
                # The broker's queue survives a restart: what was handed over stays handed over.
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
            ],
            env=dict(os.environ),
        )
        self._wait_for("redis", self._redis_answers, timeout=20, what="ready")

    def _redis_answers(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.settings.redis_port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def stop_redis(self) -> None:
        """A clean stop (SIGTERM: Redis writes its append-only file and exits)."""
        self.kill("redis", signal.SIGTERM)

    def flush_cache(self) -> None:
        """Empty the cache database (throttle counts), not the broker's."""
        with socket.create_connection(("127.0.0.1", self.settings.redis_port), timeout=2) as s:
            s.sendall(b"SELECT 1\r\nFLUSHDB\r\n")
            time.sleep(0.05)
            s.recv(64)

    # PostgreSQL

    @property
    def _pg_name(self) -> str:
        return f"spine{self.settings.postgres_port}"

    def start_postgres(self) -> None:
        """Create (once) and start the cluster's own PostgreSQL, or check the given one."""
        if self.settings.postgres_port:
            port = str(self.settings.postgres_port)
            if not Path(f"/etc/postgresql/{PG_VERSION}/{self._pg_name}").exists():
                subprocess.run(
                    [
                        "pg_createcluster",
                        PG_VERSION,
                        self._pg_name,
                        "-p",
                        port,
                        "--",
                        "--auth=trust",
                    ],
                    check=True,
                    capture_output=True,
                )
            if not self._postgres_answers():
                self._pg_ctl("start")
        deadline = time.monotonic() + 30
        while not self._postgres_answers():
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL at {self.database_url} does not answer")
            time.sleep(0.3)

    def restart_postgres(self) -> None:
        """Restart our own PostgreSQL (fast mode: sessions are cut, as in a failover)."""
        if not self.settings.postgres_port:
            raise RuntimeError("only a cluster started with --postgres-port has its own PostgreSQL")
        self._pg_ctl("restart", "-m", "fast")

    def stop_postgres(self) -> None:
        if self.settings.postgres_port:
            self._pg_ctl("stop", "-m", "fast")

    def _pg_ctl(self, action: str, *options: str) -> None:
        subprocess.run(
            [
                "pg_ctlcluster",
                "--skip-systemctl-redirect",
                PG_VERSION,
                self._pg_name,
                action,
                *options,
            ],
            check=action != "stop",
            capture_output=True,
        )

    def _postgres_answers(self) -> bool:
        parts = urlsplit(self.database_url)
        return (
            subprocess.run(
                ["pg_isready", "-q", "-h", parts.hostname, "-p", str(parts.port or 5432)],
                check=False,
            ).returncode
            == 0
        )

    def sql(self, query: str, params=(), *, database: str | None = None) -> list[tuple]:
        import psycopg

        url = self.database_url.replace("postgres://", "postgresql://", 1)
        if database:
            url = url.rsplit("/", 1)[0] + f"/{database}"
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
            cursor = connection.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def create_database(self, *, fresh: bool) -> None:
        name = urlsplit(self.database_url).path.lstrip("/")
        if fresh:
            self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")
        exists = self.sql(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name], database="postgres"
        )
        if not exists:
            self.sql(f'CREATE DATABASE "{name}"', database="postgres")

    # The release step (deploy/systemd/spine-match-release.service): migrate, collect static
    # files, write the host's match index snapshot.

    def release(self) -> None:
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput")
        self.manage("match_index_build")

    # Web instances (Procfile `web`)

    def web_name(self, index: int) -> str:
        return f"web{index + 1}"

    def start_web(self, index: int) -> None:
        name = self.web_name(index)
        port = self.settings.web_ports[index]
        self._spawn(
            name,
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            self.app_env(
                BIND=f"127.0.0.1:{port}",
                WEB_CONCURRENCY=str(self.settings.web_concurrency),
                WEB_INSTANCE=name,
                PROMETHEUS_MULTIPROC_DIR=str(self.directory / "metrics" / name),
            ),
        )
        client = self.instance_client(index, timeout=2)
        self._wait_for(
            name,
            lambda: client.request("GET", "/healthz").status == 200,
            timeout=60,
            what="healthy",
        )
        client.close()

    def kill_web(self, index: int, sig: int = signal.SIGKILL) -> None:
        self.kill(self.web_name(index), sig)

    # Celery workers (Procfile `worker`) and beat (Procfile `beat`)

    def worker_name(self, index: int) -> str:
        return f"worker{index + 1}"

    def start_worker(self, index: int, *, wait: bool = True) -> None:
        name = self.worker_name(index)
        self._spawn(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "--quiet",  # no banner: the log is JSON lines only
                "worker",
                "-n",
                f"{name}@%h",
                "-c",
                str(self.settings.worker_concurrency),
                "--without-gossip",
                "--without-mingle",
                "-l",
                self.settings.log_level,
            ],
            self.app_env(
                METRICS_PORT=str(self.settings.worker_metrics_ports[index]),
                PROMETHEUS_MULTIPROC_DIR=str(self.directory / "metrics" / name),
            ),
        )
        if wait:
            self._wait_for(name, lambda: " ready." in self.log(name), timeout=60, what="ready")

    def kill_worker(self, index: int, sig: int = signal.SIGKILL) -> None:
        self.kill(self.worker_name(index), sig)

    def start_beat(self) -> None:
        self._spawn(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "--quiet",
                "beat",
                "-s",
                str(self.directory / "beat-schedule"),
                "-l",
                self.settings.log_level,
            ],
            self.app_env(),
        )

    # The outbox relay (Procfile `relay`): hands committed messages to the broker.

    def start_relay(self, *, wait: bool = True) -> None:
        self._spawn(
            "relay",
            [sys.executable, "manage.py", "outbox_dispatch", "--every", "1"],
            self.app_env(),
        )
        if wait:
            self._wait_for(
                "relay", lambda: "outbox relay:" in self.log("relay"), timeout=60, what="ready"
            )

    # HAProxy

    def start_haproxy(self) -> None:
        if not shutil.which("haproxy"):
            raise RuntimeError("haproxy is not installed (scripts/cluster-up installs it)")
        self._spawn(
            "haproxy",
            ["haproxy", "-db", "-f", str(HAPROXY_CONFIG)],
            {
                **os.environ,
                "SPINE_HTTP_BIND": f"127.0.0.1:{self.settings.http_port}",
                "SPINE_HTTPS_BIND": f"127.0.0.1:{self.settings.https_port}",
                "SPINE_HTTPS_PORT_SUFFIX": f":{self.settings.https_port}",
                "SPINE_TLS_CERT": str(self.directory / "tls" / "haproxy.pem"),
                "SPINE_HOST": HOST,
                "SPINE_WEB_1": f"127.0.0.1:{self.settings.web_ports[0]}",
                "SPINE_WEB_2": f"127.0.0.1:{self.settings.web_ports[1]}",
                "SPINE_HAPROXY_SOCKET": str(self.haproxy_socket),
            },
        )
        self._wait_for(
            "haproxy",
            lambda: set(self.backend_states().values()) == {"UP"},
            timeout=30,
            what="up with every instance in rotation",
        )

    @property
    def haproxy_socket(self) -> Path:
        return self.directory / "haproxy.sock"

    def haproxy_command(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(str(self.haproxy_socket))
            s.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def backend_stats(self) -> dict[str, dict[str, str]]:
        """HAProxy's statistics of each web server (``stot``: requests sent to it, ...)."""
        lines = self.haproxy_command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {
            row["svname"]: row
            for row in rows
            if row["pxname"] == "web" and row["svname"].startswith("web")
        }

    def backend_states(self) -> dict[str, str]:
        return {name: row["status"] for name, row in self.backend_stats().items()}

    def _make_certificate(self) -> None:
        tls = self.directory / "tls"
        if (tls / "haproxy.pem").exists():
            return
        tls.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-days", "30", "-subj", f"/CN={HOST}",
                "-addext", f"subjectAltName=DNS:{HOST},IP:127.0.0.1",
                "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem"),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        (tls / "haproxy.pem").write_bytes(
            (tls / "cert.pem").read_bytes() + (tls / "key.pem").read_bytes()
        )
        (tls / "haproxy.pem").chmod(0o600)

    # ---- the whole -------------------------------------------------------------------

    def up(self, *, fresh: bool = False, seed: int = 0) -> None:
        """Start everything; on any failure stop what was started and re-raise."""
        # A run killed before it could stop its cluster left processes on these ports.
        Cluster.stop_recorded(self.directory, quiet=True)
        if fresh:
            for leftover in ("redis", "static", "metrics", "beat-schedule", "sent-mail"):
                path = self.directory / leftover
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(
                    missing_ok=True
                )
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            self._make_certificate()
            self.start_redis()
            self.start_postgres()
            self.create_database(fresh=fresh)
            self.release()
            if seed:
                self.manage("seed_demo", "--if-empty", "--specialists", str(seed))
            for index in range(len(self.settings.web_ports)):
                self.start_web(index)
            for index in range(len(self.settings.worker_metrics_ports)):
                self.start_worker(index)
            self.start_relay()
            self.start_beat()
            self.start_haproxy()
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        """Stop every process this cluster started (and its own PostgreSQL)."""
        for name in ["haproxy", "beat", *reversed(self.processes), "redis"]:
            if name in self.processes:
                self.kill(name, signal.SIGTERM, timeout=15)
        self.stop_postgres()
        self.haproxy_socket.unlink(missing_ok=True)  # HAProxy leaves its socket behind
        self._state.unlink(missing_ok=True)

    def _save_state(self) -> None:
        self._state.write_text(
            json.dumps(
                {
                    "settings": self.settings.to_json(),
                    "pids": {name: p.pid for name, p in self.processes.items()},
                    # With the pid, the start time names one process for good: a pid
                    # reused by someone else's process since is never signalled.
                    "started": {name: _start_time(p.pid) for name, p in self.processes.items()},
                }
            )
        )

    @classmethod
    def stop_recorded(cls, directory: Path, *, quiet: bool = False) -> None:
        """`cluster-down` from another shell: stop the process groups the state file names,
        if they are still the cluster's (same command line as recorded), then PostgreSQL."""
        state_file = directory / "state.json"
        if not state_file.exists():
            if not quiet:
                print(f"no cluster state in {directory}; nothing to stop")
            return
        state = json.loads(state_file.read_text())
        ours = {
            name: pid
            for name, pid in state["pids"].items()
            if _start_time(pid) is not None and _start_time(pid) == state["started"].get(name)
        }
        for name, pid in ours.items():
            print(f"stopping {name} (process group {pid})")
            _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for name, pid in ours.items():
            while _start_time(pid) == state["started"][name] and time.monotonic() < deadline:
                time.sleep(0.1)
            if _start_time(pid) == state["started"][name]:
                _signal_group(pid, signal.SIGKILL)
        stopped = cls(ClusterSettings.from_json(state["settings"]))
        stopped.stop_postgres()
        stopped.haproxy_socket.unlink(missing_ok=True)
        state_file.unlink()


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _start_time(pid: int) -> str | None:
    """When the live process ``pid`` started (clock ticks since boot), None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else fields[19]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--directory", type=Path, default=ClusterSettings.directory)
    parser.add_argument("--database-url", default=ClusterSettings.database_url)
    parser.add_argument("--postgres-port", type=int)
    parser.add_argument("--redis-port", type=int, default=ClusterSettings.redis_port)
    parser.add_argument("--email-url", default="", help="SMTP for outgoing mail (default: files)")
    parser.add_argument("--fresh", action="store_true", help="empty database and broker first")
    parser.add_argument(
        "--seed", type=int, default=0, help="demo specialists if the directory is empty"
    )
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()

    if args.command == "down":
        Cluster.stop_recorded(args.directory)
        return
    if args.command == "status":
        state_file = args.directory / "state.json"
        if not state_file.exists():
            print("not running")
            return
        state = json.loads(state_file.read_text())
        for name, pid in state["pids"].items():
            alive = _start_time(pid) is not None and _start_time(pid) == state["started"][name]
            print(f"{name:8} pid {pid:>7} {'running' if alive else 'STOPPED'}")
        return
    if (args.directory / "state.json").exists():
        raise SystemExit("a cluster is running already (scripts/cluster-down stops it)")
    settings = ClusterSettings(
        directory=args.directory,
        database_url=args.database_url,
        postgres_port=args.postgres_port,
        redis_port=args.redis_port,
        email_url=args.email_url,
        env=dict(pair.split("=", 1) for pair in args.env),
    )
    cluster = Cluster(settings)
    cluster.up(fresh=args.fresh, seed=args.seed)
    print(f"site:     {cluster.url}/  (certificate: {cluster.certificate})")
    print(f"          {cluster.http_url}/ redirects to HTTPS")
    for index in range(len(settings.web_ports)):
        print(f"web{index + 1}:     {cluster.web_url(index)}/readyz, /metrics")
    for index, port in enumerate(settings.worker_metrics_ports):
        print(f"worker{index + 1}:  metrics at http://127.0.0.1:{port}/")
    print(f"metrics:  Authorization: Bearer <METRICS_TOKEN in {cluster._secrets}>")
    print(f"logs:     {cluster.logs}/")
    print("stop:     scripts/cluster-down")


if __name__ == "__main__":
    main()
