"""core.csrf makes the tokens Django's CSRF middleware accepts, from one random draw."""

import collections
import itertools

from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    _unmask_cipher_token,
)
from django.test import RequestFactory

from core import csrf
from core.csrf import csrf_token


def test_a_first_visit_gets_a_new_secret_that_its_token_unmasks_to():
    request = RequestFactory().get("/find/")
    token = csrf_token(request)
    secret = request.META["CSRF_COOKIE"]
    assert len(secret) == CSRF_SECRET_LENGTH and len(token) == 2 * CSRF_SECRET_LENGTH
    assert set(token + secret) <= set(CSRF_ALLOWED_CHARS)
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert _unmask_cipher_token(token) == secret


def test_a_returning_visit_keeps_its_secret_under_a_fresh_mask():
    request = RequestFactory().get("/find/")
    request.META["CSRF_COOKIE"] = secret = "a" * CSRF_SECRET_LENGTH
    tokens = {csrf_token(request) for _ in range(20)}
    assert len(tokens) == 20
    assert {_unmask_cipher_token(token) for token in tokens} == {secret}
    assert request.META["CSRF_COOKIE"] == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_bytes_past_the_last_whole_alphabet_are_drawn_again(monkeypatch):
    """248 to 255 would favour the alphabet's first eight characters; they are skipped."""
    draws = itertools.chain([bytes([255] * 40)], itertools.repeat(bytes([61] * 40)))
    monkeypatch.setattr(csrf.os, "urandom", lambda count: next(draws)[:count])
    assert csrf._random_chars(CSRF_SECRET_LENGTH) == CSRF_ALLOWED_CHARS[61] * 32


def test_every_character_is_about_equally_likely():
    counts = collections.Counter(csrf._random_chars(62_000))
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    # Each expects 1,000 (sd about 31): ten standard deviations either side.
    assert min(counts.values()) > 690 and max(counts.values()) < 1310
