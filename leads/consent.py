"""The wording a patient agrees to when leaving contact details, in each language, and its
version.

Stored verbatim on every lead with the version and time, so the business can show what
each patient agreed to. Change the version whenever the wording changes; each language's
wording has its own version. The wording lives here, not in the translation catalogue, so
that nobody can change what patients agree to by editing a translation.

A patient who chose their specialists agrees to be contacted by those, by name, and by
another nearby specialist should none of them help (``consent_chosen``); a request routed
by us names no one, since nobody is chosen yet.
"""

from dataclasses import dataclass

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy

from core.i18n import Language, language_current
from core.text import joined_with_and


@dataclass(frozen=True)
class ConsentWording:
    version: str
    text: str


WORDINGS = {
    Language.ENGLISH: ConsentWording(
        version="2026-11-01",
        text=(
            "I agree that Spine Match and the specialists it matches me with may contact me "
            "by phone, text message and email about my request, including by automated "
            "means. Consent is not a condition of any purchase or treatment. Message and "
            "data rates may apply; reply STOP to stop texts."
        ),
    ),
    Language.SPANISH: ConsentWording(
        version="2026-11-01-es",
        text=(
            "Acepto que Spine Match y los especialistas con quienes me conecte se "
            "comuniquen conmigo por teléfono, mensaje de texto y correo electrónico sobre mi "
            "solicitud, incluso por medios automatizados. Este consentimiento no es una "
            "condición para ninguna compra ni tratamiento. Pueden aplicarse tarifas por "
            "mensajes y datos; responda STOP para dejar de recibir mensajes de texto."
        ),
    ),
}
# The same agreements naming the specialists the patient chose, where "{names}" stands,
# and agreeing to another nearby specialist should none of them help.
CHOSEN_WORDINGS = {
    Language.ENGLISH: ConsentWording(
        version="2026-12-06-chosen",
        text=(
            "I agree that Spine Match and the specialists I chose ({names}) may contact me "
            "by phone, text message and email about my request, including by automated "
            "means. If none of them can help, Spine Match may send my request to another "
            "nearby board-certified specialist who accepts new patients, who may contact "
            "me the same way. Consent is not a condition of any purchase or treatment. "
            "Message and data rates may apply; reply STOP to stop texts."
        ),
    ),
    Language.SPANISH: ConsentWording(
        version="2026-12-06-chosen-es",
        text=(
            "Acepto que Spine Match y los especialistas que elegí ({names}) se comuniquen "
            "conmigo por teléfono, mensaje de texto y correo electrónico sobre mi solicitud, "
            "incluso por medios automatizados. Si ninguno de ellos puede ayudarme, Spine "
            "Match puede enviar mi solicitud a otro especialista cercano certificado por la "
            "junta médica que acepte pacientes nuevos, quien podrá comunicarse conmigo de la "
            "misma manera. Este consentimiento no es una condición para ninguna compra ni "
            "tratamiento. Pueden aplicarse tarifas por mensajes y datos; responda STOP para "
            "dejar de recibir mensajes de texto."
        ),
    ),
}
# Versions of earlier wordings that named the chosen specialists and nobody else: leads
# stored with them may go to those specialists alone.
CHOSEN_ONLY_VERSIONS = frozenset({"2026-11-26-chosen", "2026-11-26-chosen-es"})


def consent_wording(language: str | None = None) -> ConsentWording:
    """The wording shown, and stored, in ``language`` (the active language by default)."""
    return WORDINGS[language or language_current()]


def consent_chosen(names: list[str], language: str | None = None) -> ConsentWording:
    """The wording naming the specialists a patient chose, as stored with their lead."""
    wording = CHOSEN_WORDINGS[language or language_current()]
    return ConsentWording(wording.version, wording.text.format(names=joined_with_and(names)))


def consent_limits_to_chosen(version: str) -> bool:
    """True when the wording of ``version`` agreed to the chosen specialists alone, so
    nobody else may be sent that lead."""
    return version in CHOSEN_ONLY_VERSIONS


def consent_chosen_parts(language: str | None = None) -> tuple[str, str]:
    """The chosen wording before and after the names, for the page to fill in."""
    before, _names, after = CHOSEN_WORDINGS[language or language_current()].text.partition(
        "{names}"
    )
    return before, after


# The active language's wording and version, read when used: the step 2 form shows the
# text and a lead stores both in the language its form was in.
CONSENT_TEXT = lazy(lambda: consent_wording().text, str)()
CONSENT_VERSION = lazy(lambda: consent_wording().version, str)()
CONSENT_REQUIRED_MESSAGE = gettext_lazy(
    "Please agree to be contacted so a specialist can reach you."
)
