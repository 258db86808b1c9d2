import functools

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from core.i18n import language_current
from core.phones import phone_display

from .selectors import treatment_menu


def site(request):
    """Site-wide facts every page shows: name, call-us number, the Treatments menu, and
    the page's address in the other languages."""
    return {
        "site_name": settings.SITE_NAME,
        "patient_phone_e164": settings.PATIENT_PHONE_NUMBER,
        "patient_phone_display": phone_display(settings.PATIENT_PHONE_NUMBER),
        # Read when a page shows it: /find/ keeps its header and form (pages.templatetags.memo).
        "treatment_menu": SimpleLazyObject(treatment_menu),
        "language_links": language_links(request),
    }


def _path_in(match, language: str) -> str | None:
    try:
        return _path_kept(match.view_name, tuple(match.args), tuple(match.kwargs.items()), language)
    except TypeError:  # an argument that cannot be a key
        return _path_reversed(match.view_name, match.args, match.kwargs, language)


# Reversing in another language costs a tenth of a search page; pages are few.
@functools.lru_cache(maxsize=20_000)
def _path_kept(view_name, args: tuple, kwargs: tuple, language: str) -> str | None:
    return _path_reversed(view_name, args, dict(kwargs), language)


def _path_reversed(view_name, args, kwargs, language: str) -> str | None:
    with translation.override(language):
        try:
            return reverse(view_name, args=args, kwargs=kwargs)
        except NoReverseMatch:
            return None


def language_links(request) -> dict:
    """``alternates``: this page in each language and as x-default (the English page), for
    hreflang; empty where the address names no page served in every language. ``switch``:
    the header's links to the other languages, keeping the page and its query string, or
    going to their home page where there is no such page.
    """
    match = request.resolver_match
    paths = {
        code: _path_in(match, code) if match is not None else None
        for code, _ in settings.LANGUAGES
    }
    translated = all(paths.values()) and len(set(paths.values())) == len(paths)
    if not translated:
        for code in paths:
            with translation.override(code):
                paths[code] = reverse("home")
    query = request.META.get("QUERY_STRING", "")
    current = language_current()
    return {
        "alternates": [
            {"hreflang": code, "url": request.build_absolute_uri(path)}
            for code, path in (*paths.items(), ("x-default", paths[settings.LANGUAGE_CODE]))
        ]
        if translated
        else [],
        "switch": [
            {
                "code": code,
                "name": name,
                "url": f"{paths[code]}?{query}" if translated and query else paths[code],
            }
            for code, name in settings.LANGUAGES
            if code != current
        ],
    }
