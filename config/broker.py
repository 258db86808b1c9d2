"""How the Celery processes talk to the broker, made to outlive a broker outage (settings:
CELERY_BROKER_TRANSPORT, CELERY_WORKER_CONSUMER).

- ``RedisTransport``: kombu's Redis transport, except that a channel whose connection was
  closed under it says so with a connection error. Kombu 5.7 raises an AttributeError
  instead (``'NoneType' object has no attribute 'hostname'``) when, after Redis went
  away, a worker acknowledges a finished task or hands its unacknowledged tasks back
  through such a channel; Celery takes that for an unrecoverable error and the whole
  worker exits. Every later email then waited for the worker to be started again: the
  outage tests' missed deliveries. A connection error is what Celery expects and
  recovers from; nothing can be handed back to a broker that is gone anyway, and the
  outbox hands those messages over again (OUTBOX_REQUEUE_AFTER_SECONDS, or the lease).
- ``Consumer``: Celery's worker consumer, reconnecting to a lost broker every
  BROKER_RECONNECT_SECONDS. Celery's own schedule waits 2, 4, 6... up to 30 s between
  attempts, so after an outage of a minute a worker could start taking tasks half a
  minute after the broker came back, while the confirmations owed meanwhile waited. A
  refused connection costs milliseconds.
"""

import functools

from celery.worker.consumer import Consumer as CeleryConsumer
from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError

# A worker that lost the broker tries it again this often, for as long as it takes.
BROKER_RECONNECT_SECONDS = 1.0


class RedisChannel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection.client is None:
            raise RedisConnectionError("the connection to the broker was closed")
        return super()._connparams(asynchronous=asynchronous)


class RedisTransport(kombu_redis.Transport):
    Channel = RedisChannel


class Consumer(CeleryConsumer):
    def ensure_connected(self, conn):
        conn.ensure_connection = functools.partial(
            conn.ensure_connection,
            interval_start=BROKER_RECONNECT_SECONDS,
            interval_step=0,
            interval_max=BROKER_RECONNECT_SECONDS,
        )
        return super().ensure_connected(conn)
