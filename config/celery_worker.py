"""What a Celery worker loads beyond the app (settings: CELERY_WORKER_CONSUMER), kept out
of config.celery_app so that web processes do not import the worker's machinery."""

import contextlib
import functools

from celery.worker.consumer import Consumer as CeleryConsumer

# A worker that lost the broker tries it again this often, for as long as it takes.
BROKER_RECONNECT_SECONDS = 1.0


class Consumer(CeleryConsumer):
    """Celery's consumer, made to outlive a broker outage and to come back at once.

    - It survives losing the broker while it holds tasks not yet acknowledged. Celery 5.7
      then closes a connection its own clean-up has already taken apart; kombu tries to
      hand the unacknowledged tasks back to the lost Redis through it and raises an
      AttributeError, which Celery takes for an unrecoverable error: the whole worker
      exits ("Unrecoverable error: AttributeError(... 'hostname')"). Nothing can be
      handed back to a broker that is gone anyway; the outbox hands those messages over
      again (OUTBOX_REQUEUE_AFTER_SECONDS, or the sender's lease).
    - It reconnects every BROKER_RECONNECT_SECONDS. Celery's own schedule waits 2, 4,
      6... up to 30 s between attempts, so after an outage of a minute a worker could
      start taking tasks half a minute after the broker came back, while the
      confirmations owed meanwhile waited. A refused connection costs milliseconds.
    """

    def on_connection_error_after_connected(self, exc):
        if self.connection is not None:
            self.connection.close = _without_attribute_errors(self.connection.close)
        super().on_connection_error_after_connected(exc)

    def ensure_connected(self, conn):
        conn.ensure_connection = functools.partial(
            conn.ensure_connection,
            interval_start=BROKER_RECONNECT_SECONDS,
            interval_step=0,
            interval_max=BROKER_RECONNECT_SECONDS,
        )
        return super().ensure_connected(conn)


def _without_attribute_errors(close):
    @functools.wraps(close)
    def closing():
        with contextlib.suppress(AttributeError):  # the half-collected connection
            close()

    return closing
