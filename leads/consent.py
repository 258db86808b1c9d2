"""The wording a patient agrees to when leaving contact details, and its version.

Stored verbatim on every lead with the version and time, so the business can show what
each patient agreed to. Change the version whenever the wording changes.

A patient who chose their specialists agrees to be contacted by those, by name
(``consent_text``); a request routed by us names no one, since nobody is chosen yet.
"""

from django.utils.translation import gettext_lazy as _

from core.text import joined_with_and

CONSENT_VERSION = "2026-11-26"
CONSENT_TEXT = (
    "I agree that Spine Match and the specialists it matches me with may contact me by "
    "phone, text message and email about my request, including by automated means. "
    "Consent is not a condition of any purchase or treatment. Message and data rates may "
    "apply; reply STOP to stop texts."
)
# The same agreement naming the specialists the patient chose; the page shows it with the
# names its checkboxes hold, as "{names}" splits it.
CONSENT_CHOSEN_TEXT = _(
    "I agree that Spine Match and the specialists I chose ({names}) may contact me by "
    "phone, text message and email about my request, including by automated means. "
    "Consent is not a condition of any purchase or treatment. Message and data rates may "
    "apply; reply STOP to stop texts."
)
CONSENT_REQUIRED_MESSAGE = "Please agree to be contacted so a specialist can reach you."


def consent_text(names: list[str] | None = None) -> str:
    """What the patient agrees to: naming ``names`` when they chose them, else the wording
    of a routed request."""
    if not names:
        return CONSENT_TEXT
    return str(CONSENT_CHOSEN_TEXT).format(names=joined_with_and(names))


def consent_text_parts() -> tuple[str, str]:
    """The chosen wording before and after the names, for the page to fill in."""
    before, _names, after = str(CONSENT_CHOSEN_TEXT).partition("{names}")
    return before, after
