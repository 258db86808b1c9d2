"""The public POST budget: exact under concurrency, sliding across windows, shared
through the cache, and out of the way when the cache is down."""

import socket
import threading
import uuid

import pytest
from django.test import RequestFactory

from core import api
from core.api import PublicPostThrottle


@pytest.fixture
def rate(monkeypatch):
    def set_rate(value: str):
        monkeypatch.setitem(PublicPostThrottle.THROTTLE_RATES, "public_post", value)

    return set_rate


@pytest.fixture(
    params=["memory", pytest.param("redis", marks=pytest.mark.integration)], autouse=True
)
def budget_cache(request, settings):
    """The counts in the process's memory (as in tests and ``make run``) and in Redis (as in
    production, counted in one round trip): the same budget either way."""
    if request.param == "memory":
        yield
        return
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs CELERY_BROKER_URL=redis://...")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.CELERY_BROKER_URL,
            "KEY_PREFIX": f"throttle-test-{uuid.uuid4().hex}",
        }
    }
    # The keys expire with their windows.
    yield


def post(address="203.0.113.9"):
    return RequestFactory().post("/api/v1/newsletter/", REMOTE_ADDR=address)


def test_concurrent_posts_get_exactly_the_budget(rate):
    rate("10/minute")
    allowed = []
    start = threading.Barrier(40)

    def client():
        throttle = PublicPostThrottle()
        start.wait()
        allowed.append(throttle.allow_request(post(), None))

    threads = [threading.Thread(target=client) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 10


def test_the_window_slides(rate):
    rate("10/minute")
    clock = [6000.0]  # the start of a window

    def throttle():
        check = PublicPostThrottle()
        check.timer = lambda: clock[0]
        return check

    assert [throttle().allow_request(post(), None) for _ in range(11)] == [True] * 10 + [False]
    refused = throttle()
    clock[0] = 6066.0  # 6 s into the next window: 90% of the last one still counts (9)
    assert refused.allow_request(post(), None)  # 9 + 1
    assert not refused.allow_request(post(), None)
    assert refused.wait() == pytest.approx(6.0)  # at 6072 the share is 8: one more fits
    clock[0] = 6072.5
    assert throttle().allow_request(post(), None)
    assert throttle().allow_request(post("198.51.100.7"), None)  # another client's budget


def test_a_cache_that_does_not_answer_lets_posts_through_and_is_left_alone(rate, settings, caplog):
    rate("1/minute")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/1",
        }
    }
    try:
        assert all(PublicPostThrottle().allow_request(post(), None) for _ in range(3))
        assert not api.cache_breaker.allows
        assert [r.message for r in caplog.records] == [
            "throttle: the cache does not answer (ConnectionError)"
        ]
    finally:
        api.cache_breaker.succeeded()
