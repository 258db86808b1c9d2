import pytest
from django.test import RequestFactory

from core.http import client_ip


def _request(remote="203.0.113.9", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_a_forged_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(forwarded="198.51.100.1")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "198.51.100.7", "198.51.100.7"),
        # The client prepended a lie; the proxy appended what it really saw.
        (1, "10.9.9.9, 198.51.100.7", "198.51.100.7"),
        (2, "10.9.9.9, 198.51.100.7, 192.0.2.1", "198.51.100.7"),
        # Fewer hops than trusted proxies: the connection's own address.
        (2, "198.51.100.7", "203.0.113.9"),
        (1, "not-an-address", None),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_behind_trusted_proxies_the_outermost_proxy_decides(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(_request(forwarded=forwarded)) == expected


def test_the_public_post_budget_is_per_real_client(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    from core.api import PublicPostThrottle

    throttle = PublicPostThrottle()
    forged = [_request(forwarded=f"198.51.100.{n}") for n in range(3)]
    assert {throttle.get_ident(request) for request in forged} == {"203.0.113.9"}
