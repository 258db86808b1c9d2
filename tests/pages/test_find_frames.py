"""/find/'s results pages from their kept frames (``pages.frames``) are the bytes find.html
renders plainly for the same search: random directories and searches (filters, sort,
pages, radius, a chosen specialist, campaign tags, a city for the ZIP) in both languages,
with the frames kept from earlier searches and without."""

import random
import re

import pytest
from django.template.loader import render_to_string

from pages import frames
from pages.views import search as search_views
from tests.pages.test_find_cards import _random_directory, _random_search

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _plain(request, context):
    return render_to_string("pages/find.html", context, request)


def _pages(client, path, params, headers):
    response = client.get(path, params, headers=headers)
    return response.status_code, _CSRF.sub("", response.content.decode())


@pytest.mark.parametrize("seed", range(3))
def test_framed_results_pages_are_the_templates_bytes(client, db, monkeypatch, seed):
    rng = random.Random(200 + seed)
    _random_directory(rng)
    from specialists.models import Specialist

    ids = list(Specialist.objects.values_list("pk", flat=True))
    framed = kept = 0
    for n in range(80):
        params = _random_search(rng)
        if n % 2:  # half the searches plain ones, most of which find someone
            params = {"zip": params["zip"], **({"page": "2"} if n % 7 == 1 else {})}
        if rng.random() < 0.3:
            params["utm_source"] = rng.choice(["mail", "ads & <friends>"])
        if rng.random() < 0.2:
            params["specialist"] = str(rng.choice(ids))
        path = rng.choice(["/find/", "/es/find/"])
        headers = {"referer": "https://elsewhere.example/a?b=c"} if rng.random() < 0.3 else {}
        if rng.random() < 0.5:
            frames._kept[1].clear()
        status, ours = _pages(client, path, params, headers)
        framed += '<div class="results">' in ours and status == 200
        kept = max(kept, len(frames._kept[1]))
        with monkeypatch.context() as patched:
            patched.setattr(search_views, "_results_page", _plain)
            expected_status, expected = _pages(client, path, params, headers)
        assert status == expected_status, (path, params)
        assert ours == expected, (path, params)
    assert framed > 25
    assert kept > 2  # frames were kept, and reused by the searches that followed


def test_a_framed_page_sets_the_csrf_cookie_and_a_token_step_two_accepts(client, db):
    """Each framed page carries its own token, valid for the cookie it comes with."""
    _random_directory(random.Random(3))
    first = client.get("/find/", {"zip": "10001"})
    second = client.get("/find/", {"zip": "10001"})
    assert "csrftoken" in first.cookies
    tokens = [_CSRF.search(r.content.decode()).group(0) for r in (first, second)]
    assert tokens[0] != tokens[1]
    from django.middleware.csrf import _unmask_cipher_token

    secret = client.cookies["csrftoken"].value
    for token in tokens:
        assert _unmask_cipher_token(token.split('value="')[1][:-1]) == secret
