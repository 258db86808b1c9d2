"""The form token for a page, as Django's ``get_token`` makes it, from one random draw.

Django draws each of a token's characters with its own ``secrets.choice`` (a system call
apiece): 64 of them for a first visit's secret and mask, a twentieth of a results page's
work. Here the characters come from one ``os.urandom`` call, by rejection (bytes below
248, four times the alphabet, so every character is equally likely), and the secret,
the mask and the request's flags are exactly ``get_token``'s, so ``CsrfViewMiddleware``
sets the cookie and checks the posted form as it always does.
"""

import os

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH

_ALPHABET = len(CSRF_ALLOWED_CHARS)
_UNBIASED_BELOW = 256 - 256 % _ALPHABET
_POSITION = {char: position for position, char in enumerate(CSRF_ALLOWED_CHARS)}


def _random_chars(count: int) -> str:
    chars: list[str] = []
    while len(chars) < count:
        # A few bytes more than needed, so one draw almost always suffices.
        for byte in os.urandom(count + 8):
            if byte < _UNBIASED_BELOW:
                chars.append(CSRF_ALLOWED_CHARS[byte % _ALPHABET])
                if len(chars) == count:
                    break
    return "".join(chars)


def csrf_token(request) -> str:
    """The masked token for ``request``'s forms, with a new secret (and cookie) when the
    request brought none."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        drawn = _random_chars(2 * CSRF_SECRET_LENGTH)
        secret, mask = drawn[:CSRF_SECRET_LENGTH], drawn[CSRF_SECRET_LENGTH:]
        request.META["CSRF_COOKIE"] = secret
    else:
        mask = _random_chars(CSRF_SECRET_LENGTH)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    cipher = "".join(
        CSRF_ALLOWED_CHARS[(_POSITION[s] + _POSITION[m]) % _ALPHABET]
        for s, m in zip(secret, mask, strict=True)
    )
    return mask + cipher
