"""gunicorn for the web process: `gunicorn -c gunicorn.conf.py` (Procfile `web`,
deploy/spine-match-web.service). Everything an operator tunes is an environment variable.

- BIND (default 127.0.0.1:$PORT, PORT default 8000): where HAProxy reaches this instance.
- WEB_CONCURRENCY (default: one worker per core): sync worker processes; a request holds
  one for its whole life, so the count is the instance's parallelism.
- WEB_THREADS (default 1): above 1, each worker serves that many requests at once in
  threads (gunicorn's gthread worker, keeping HAProxy's connections alive), so one
  request's database waits no longer idle its process. benchmarks/leads.py measured 78
  accepted leads/s with 2 threads against 62 with sync workers, side by side at load 4,
  for the same CPU per lead (one round only; the cluster tests pass with it too).
- WEB_TIMEOUT (30 s): a worker stuck longer is killed and replaced.
- WEB_INSTANCE (default: the bind address): names this instance's metrics directory.

The master refuses to start on a configuration error (config.startup) before it forks.
The access log is written by Django (core.middleware) so paths are masked; gunicorn's own
is off, and its error log uses the same redacting formatter (LOG_FORMAT=json or plain).
"""

import multiprocessing
import os

from gunicorn.glogging import Logger

from config.startup import metrics_directory, refuse_to_start_on_errors

wsgi_app = "config.wsgi:application"
bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
threads = int(os.environ.get("WEB_THREADS") or 1)
worker_class = "gthread" if threads > 1 else "sync"
# gthread only: how long an idle connection from HAProxy stays open for its next request.
keepalive = 5
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
# HAProxy (on this host or a private network) is the only client; its X-Forwarded-*
# headers are read by Django according to TRUSTED_PROXY_COUNT, not by gunicorn.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None


class ErrorLogOnly(Logger):
    """gunicorn's logger without its access log: with a logging configuration given,
    gunicorn would gather every request's access-log fields only to drop them."""

    def access(self, resp, req, environ, request_time):
        pass


logger_class = ErrorLogOnly
errorlog = "-"
_log_format = os.environ.get("LOG_FORMAT", "plain")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        _log_format: {
            "()": f"core.logs.{'JsonFormatter' if _log_format == 'json' else 'RedactingFormatter'}",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": _log_format},
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

_instance = os.environ.get("WEB_INSTANCE") or "web-" + bind.replace(":", "-").replace("/", "-")
metrics_directory(_instance)


def on_starting(server):
    refuse_to_start_on_errors("gunicorn")


def child_exit(server, worker):
    # A dead worker's gauges must stop counting; its counters stay in the sums.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
