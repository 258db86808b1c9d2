"""API plumbing shared by every app: the error shape, the public POST throttle, and DRF's
JSON written fast."""

import logging
from collections.abc import Iterable

import orjson
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, throttling
from rest_framework.renderers import JSONRenderer
from rest_framework.views import exception_handler as drf_exception_handler

from .breaker import CircuitBreaker
from .http import client_ip

logger = logging.getLogger(__name__)

# orjson writes every float as Python's repr does except magnitudes below 1e-4 ("0.00005"
# for "5e-05"): a coordinate within 11 metres of the equator or the prime meridian.
_ORJSON_FLOAT_FLOOR = 1e-4


def _orjson_writes_as_python(value: float) -> bool:
    return value == 0 or abs(value) >= _ORJSON_FLOAT_FLOOR


def json_float(value: float) -> bytes:
    """A finite float as DRF's JSONRenderer writes it (``repr``), by orjson when it writes
    the same: three times faster."""
    return orjson.dumps(value) if _orjson_writes_as_python(value) else repr(value).encode()


def json_bytes(data, *, floats: Iterable[float] = ()) -> bytes:
    """What DRF's JSONRenderer writes for ``data`` (compact, UTF-8, U+2028 and U+2029
    escaped), by orjson, about ten times faster. ``floats``: the data's floats that are
    not known to be 0 or at least 1e-4 in magnitude; if one is not, DRF's renderer writes
    the data."""
    if not all(_orjson_writes_as_python(value) for value in floats):
        return JSONRenderer().render(data)
    body = orjson.dumps(data)
    if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:
        body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
    return body


# How long the throttle stops asking a cache that failed before it tries again.
CACHE_PAUSE_SECONDS = 5.0
cache_breaker = CircuitBreaker(pause_seconds=lambda: CACHE_PAUSE_SECONDS)


def exception_handler(exc, context):
    """DRF's handler, plus Django's own ValidationError mapped to the contract's 400 shape."""
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)


class PublicPostThrottle(throttling.AnonRateThrottle):
    """One budget per client shared by every public POST endpoint (leads, newsletter, e-book).

    The rate comes from PUBLIC_POST_RATE ("off" turns it off); GETs are never throttled.
    The counts live in the shared cache (CACHE_URL), so the rate holds across every
    process, and each request is counted with one atomic increment, so concurrent requests
    cannot slip past it. The window slides: the previous window's count weighs in for the
    part of it that is still less than the period ago. If the cache does not answer,
    requests are let through (and the cache left alone for a few seconds): a patient's
    request matters more than the limit during a cache outage.
    """

    scope = "public_post"
    _wait = 0.0

    def get_ident(self, request):
        # DRF's own reading trusts any X-Forwarded-For; ours only the configured proxies.
        return client_ip(request) or "unknown"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view):
        if request.method != "POST" or self.rate is None or not cache_breaker.allows:
            return True
        try:
            allowed = self._count(self.get_cache_key(request, view))
        except Exception as error:  # any cache client failure: count nothing, let it through
            if cache_breaker.failed():
                logger.warning("throttle: the cache does not answer (%s)", type(error).__name__)
            return True
        if cache_breaker.succeeded():
            logger.info("throttle: the cache answers again")
        return allowed

    def _count(self, key: str) -> bool:
        period, limit = self.duration, self.num_requests
        window, into = divmod(self.timer(), period)
        current = f"{key}:{int(window)}"
        count, earlier = _count_and_read(current, f"{key}:{int(window) - 1}", timeout=2 * period)
        if earlier * (1 - into / period) + count <= limit:
            return True
        self.cache.decr(current)  # a refused request does not use up the budget
        count -= 1
        # When one more request fits: later in this window as the previous one's share
        # fades, or else in the next window, where this window's count is the previous.
        if count < limit:
            self._wait = period * (1 - (limit - count - 1) / earlier) - into
        else:
            self._wait = (period - into) + period * (1 - (limit - 1) / count)
        return False

    def wait(self):
        return max(1.0, self._wait)


def _count_and_read(key: str, other: str, *, timeout: float) -> tuple[int, int]:
    """Adds one to the count at ``key`` (kept for ``timeout`` seconds) and reads the one at
    ``other``: on Redis in one round trip, where three would cost every public POST two
    more waits and a third more of the throttle's CPU."""
    cache = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(cache, RedisCache):
        cache.add(key, 0, timeout=timeout)
        return cache.incr(key), cache.get(other, 0)
    key, other = cache.make_and_validate_key(key), cache.make_and_validate_key(other)
    # Django's Redis cache stores integers as plain numbers, so INCR and int() read them.
    pipe = cache._cache.get_client(key, write=True).pipeline(transaction=False)
    pipe.set(key, 0, ex=int(timeout), nx=True).incr(key).get(other)
    _, count, earlier = pipe.execute()
    return count, int(earlier or 0)
