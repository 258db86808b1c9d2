"""Who is asking: the client's address, taken from proxies we trust and nobody else.

Behind N trusted proxies (``TRUSTED_PROXY_COUNT``, 0 by default: the site is reached
directly) the client is the address the outermost trusted proxy saw: the N-th entry from
the right of ``X-Forwarded-For``. Entries further left were written by the client and can
say anything; with no trusted proxy the header is ignored altogether.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's IP address as text, or None when it cannot be told."""
    proxies = settings.TRUSTED_PROXY_COUNT
    address = request.META.get("REMOTE_ADDR") or None
    if proxies > 0:
        forwarded = [
            hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [hop for hop in forwarded if hop]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    if address is None:
        return None
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
