"""The wording a patient agrees to when leaving contact details, and its version.

Stored verbatim on every lead with the version and time, so the business can show what
each patient agreed to. Change the version whenever the wording changes.
"""

CONSENT_VERSION = "2026-11-01"
CONSENT_TEXT = (
    "I agree that Spine Match and the specialists it matches me with may contact me by "
    "phone, text message and email about my request, including by automated means. "
    "Consent is not a condition of any purchase or treatment. Message and data rates may "
    "apply; reply STOP to stop texts."
)
CONSENT_REQUIRED_MESSAGE = "Please agree to be contacted so a specialist can reach you."
