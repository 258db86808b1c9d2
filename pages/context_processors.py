from django.conf import settings

from core.phones import phone_display

from .selectors import treatment_menu


def site(request):
    """Site-wide facts every page shows: name, call-us number, the Treatments menu."""
    return {
        "site_name": settings.SITE_NAME,
        "patient_phone_e164": settings.PATIENT_PHONE_NUMBER,
        "patient_phone_display": phone_display(settings.PATIENT_PHONE_NUMBER),
        "treatment_menu": treatment_menu(),
    }
