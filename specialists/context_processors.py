from django.conf import settings

from .selectors import treatment_menu


def site(request):
    """Site-wide facts every page shows: name, call-us number, the Treatments menu."""
    phone = settings.PATIENT_PHONE_NUMBER
    digits = phone.removeprefix("+1")
    return {
        "site_name": settings.SITE_NAME,
        "patient_phone_e164": phone,
        "patient_phone_display": (
            f"{digits[0:3]}-{digits[3:6]}-{digits[6:]}" if len(digits) == 10 else phone
        ),
        "treatment_menu": treatment_menu(),
    }
