"""The site's languages: which exist, which one is active, and how a request picks one.

Patient pages take their language from the address: ``/es/...`` is Spanish, an address
without a prefix is English (``i18n_patterns`` with ``prefix_default_language=False``).
The API has no prefix and follows the client's ``Accept-Language``. A language the site
does not serve falls back to English everywhere.
"""

from pathlib import Path

from django.conf import settings
from django.core import checks
from django.db import models
from django.middleware import locale
from django.utils import translation
from django.utils.translation import gettext_noop


class Language(models.TextChoices):
    """What a lead, a subscriber or an e-book request was made in; their email follows it."""

    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"


# Addresses outside the language-prefixed pages whose language comes from the request.
NEGOTIATED_PATH_PREFIXES = ("/api/",)

# Django REST framework's own messages that patients meet on our forms and APIs. Our
# catalogue words them in plain US Spanish (LOCALE_PATHS wins over DRF's own Spanish);
# naming them here keeps `makemessages` from dropping them.
DRF_MESSAGES = (
    gettext_noop("This field is required."),
    gettext_noop("This field may not be null."),
    gettext_noop("This field may not be blank."),
    gettext_noop("Not a valid string."),
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("A valid number is required."),
    gettext_noop("A valid integer is required."),
    gettext_noop("Ensure this value is less than or equal to {max_value}."),
    gettext_noop("Ensure this value is greater than or equal to {min_value}."),
    gettext_noop('"{input}" is not a valid choice.'),
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    gettext_noop("Request was throttled."),
    gettext_noop("Expected available in {wait} second."),
    gettext_noop("Expected available in {wait} seconds."),
)


def language_current() -> str:
    """The active language as a ``Language`` value; English outside a request and for any
    language the site does not serve."""
    try:
        return translation.get_supported_language_variant(translation.get_language() or "")
    except LookupError:
        return Language.ENGLISH


def in_default_language():
    """A context in the default language (English): for what must read the same whatever
    the request's language, such as the addresses in API answers (the English pages') and
    values cached across requests."""
    return translation.override(settings.LANGUAGE_CODE)


class LocaleMiddleware(locale.LocaleMiddleware):
    """Django's, except that the API negotiates.

    With ``prefix_default_language=False`` Django gives every address without a language
    prefix the default language, which would make the API deaf to ``Accept-Language``.
    Under ``NEGOTIATED_PATH_PREFIXES`` the language comes from the request instead. The
    admin and the site files stay English.
    """

    def process_request(self, request):
        if not request.path_info.startswith(NEGOTIATED_PATH_PREFIXES):
            return super().process_request(request)
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()
        return None


@checks.register()
def languages_check(app_configs, **kwargs):
    """The languages Django serves are the ones leads and subscribers can store."""
    served = [code for code, _ in settings.LANGUAGES]
    if sorted(served) != sorted(Language.values) or settings.LANGUAGE_CODE != Language.ENGLISH:
        return [
            checks.Error(
                f"LANGUAGES {served} and LANGUAGE_CODE {settings.LANGUAGE_CODE!r} must be "
                f"core.i18n.Language's codes {Language.values}, English the default.",
                id="core.E001",
            )
        ]
    return []


@checks.register()
def catalogues_check(app_configs, **kwargs):
    """Each translated language's catalogue is compiled, and not older than its source:
    without it, its pages would be served in English."""
    problems = []
    for folder in settings.LOCALE_PATHS:
        for source in sorted(Path(folder).glob("*/LC_MESSAGES/django.po")):
            compiled = source.with_suffix(".mo")
            if not compiled.exists():
                problems.append(
                    checks.Error(
                        f"{compiled} is missing.",
                        hint="Run `make install` (manage.py compilemessages).",
                        id="core.E002",
                    )
                )
            elif compiled.stat().st_mtime < source.stat().st_mtime:
                problems.append(
                    checks.Warning(
                        f"{compiled} is older than {source.name}.",
                        hint="Run `make install` (manage.py compilemessages).",
                        id="core.W001",
                    )
                )
    return problems
