"""schema.org descriptions of the public pages, for search engines (embedded as JSON-LD)."""

from django.http import HttpRequest

from core.i18n import language_current
from specialists.facts import language_codes
from specialists.models import Condition, Institute, Specialist, Treatment


def _postal_address(place) -> dict:
    return {
        "@type": "PostalAddress",
        "streetAddress": ", ".join(place.address_lines),
        "addressLocality": place.city,
        "addressRegion": place.state,
        "postalCode": place.zip,
        "addressCountry": "US",
    }


def _medical_page(page, *, about_type: str, request: HttpRequest, **about) -> dict:
    """A treatment or condition page: the page, and the procedure or condition it is about,
    in the active language."""
    url = request.build_absolute_uri(page.get_absolute_url())
    text = page.text
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "url": url,
        "inLanguage": language_current(),
        "name": text.name,
        "description": text.description,
        "about": {
            "@type": about_type,
            "name": text.name,
            "description": text.summary,
            "url": url,
            **about,
        },
    }
    if page.last_reviewed:
        data["lastReviewed"] = page.last_reviewed.isoformat()
    return data


def procedure_json_ld(treatment: Treatment, *, request: HttpRequest) -> dict:
    return _medical_page(treatment, about_type="MedicalProcedure", request=request)


def condition_json_ld(
    condition: Condition, *, treatments: list[Treatment], request: HttpRequest
) -> dict:
    return _medical_page(
        condition,
        about_type="MedicalCondition",
        request=request,
        possibleTreatment=[
            {
                "@type": "MedicalProcedure",
                "name": treatment.text.name,
                "url": request.build_absolute_uri(treatment.get_absolute_url()),
            }
            for treatment in treatments
        ],
    )


def physician_json_ld(specialist: Specialist, *, request: HttpRequest) -> dict:
    data = {
        "@context": "https://schema.org",
        "@type": "Physician",
        "name": specialist.display_name,
        "url": request.build_absolute_uri(specialist.get_absolute_url()),
        "telephone": specialist.phone,
        "address": _postal_address(specialist),
        "geo": {
            "@type": "GeoCoordinates",
            "latitude": specialist.latitude,
            "longitude": specialist.longitude,
        },
        "isAcceptingNewPatients": specialist.accepting_new_patients,
        "availableService": [
            {
                "@type": "MedicalProcedure",
                "name": treatment.text.name,
                "url": request.build_absolute_uri(treatment.get_absolute_url()),
            }
            for treatment in specialist.treatments.all()
        ],
        "hasCredential": [
            {
                "@type": "EducationalOccupationalCredential",
                "credentialCategory": "Board certification",
                "recognizedBy": {"@type": "Organization", "name": certification.board.name},
                **(
                    {"expires": certification.expires_on.isoformat()}
                    if certification.expires_on
                    else {}
                ),
            }
            for certification in specialist.current_certifications()
        ],
    }
    languages = language_codes(specialist.languages)
    if languages:
        data["knowsLanguage"] = languages
    plans = [plan.local_name for plan in specialist.insurance.all()]
    if plans:
        data["paymentAccepted"] = ", ".join(plans)
    if specialist.institute_id:
        data["parentOrganization"] = {
            "@type": "MedicalOrganization",
            "name": specialist.institute.name,
            "url": request.build_absolute_uri(specialist.institute.get_absolute_url()),
        }
    return data


def institute_json_ld(
    institute: Institute,
    *,
    specialists: list[Specialist],
    request: HttpRequest,
    opening_hours: list = (),
) -> dict:
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalClinic",
        "name": institute.name,
        "url": request.build_absolute_uri(institute.get_absolute_url()),
        "address": _postal_address(institute),
        "geo": {
            "@type": "GeoCoordinates",
            "latitude": institute.latitude,
            "longitude": institute.longitude,
        },
        "member": [
            {
                "@type": "Physician",
                "name": specialist.display_name,
                "url": request.build_absolute_uri(specialist.get_absolute_url()),
            }
            for specialist in specialists
        ],
    }
    if institute.phone:
        data["telephone"] = institute.phone
    if institute.description:
        data["description"] = institute.description
    if institute.website:
        data["sameAs"] = institute.website
    if opening_hours:
        data["openingHours"] = [rule.line for rule in opening_hours]
    return data
