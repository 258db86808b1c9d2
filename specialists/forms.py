"""Forms that write listings: the admin's, which keep the same rules as the import (E.164
phones, a ZIP whose state matches, coordinates placed from the address when left empty),
and the provider's own corrections."""

from django import forms
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import ValidationError

from core.phones import us_phone_to_e164
from geo.gazetteer import ZipCodeError, zip_place

from .corrections import CORRECTABLE_FIELDS, listing_values
from .facts import (
    LANGUAGE_SEPARATOR,
    LANGUAGES,
    LanguageCodeError,
    language_codes,
    language_codes_from_names,
    language_names,
)
from .models import (
    MAX_WEEKLY_CAPACITY,
    Institute,
    InsurancePlan,
    Specialist,
    Treatment,
    unknown_insurance_message,
    unknown_treatment_message,
)
from .services import practice_location_resolve
from .validators import COORDINATE_LIMITS

COORDINATES_HELP = (
    "Leave latitude and longitude empty to place the listing from its address "
    "(street geocoder when configured, else the ZIP code's centre)."
)

ADDRESS_FIELDS = ["address_line1", "address_line2", "city", "state", "zip", "latitude", "longitude"]


class PracticeLocationForm(forms.ModelForm):
    """Shared by specialists and institutes: both are a practice with a US address."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("latitude", "longitude"):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = COORDINATES_HELP

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "")
        if not phone and not self.fields["phone"].required:
            return ""
        return us_phone_to_e164(phone)

    def clean_state(self):
        return self.cleaned_data.get("state", "").strip().upper()

    def clean(self):
        cleaned = super().clean()
        raw_zip = cleaned.get("zip")
        if not raw_zip:
            return cleaned
        try:
            place = zip_place(raw_zip)
        except ZipCodeError as error:
            self.add_error("zip", str(error))
            return cleaned
        cleaned["zip"] = place.zip
        state = cleaned.get("state")
        if state and state != place.state:
            self.add_error("state", f"ZIP {place.zip} is in {place.state}, not {state}.")
            return cleaned
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if (latitude is None) != (longitude is None):
            raise ValidationError("Give both latitude and longitude, or neither.")
        if latitude is not None and not (
            abs(latitude) <= COORDINATE_LIMITS["latitude"]
            and abs(longitude) <= COORDINATE_LIMITS["longitude"]
        ):
            raise ValidationError(
                f"Latitude must be within ±{COORDINATE_LIMITS['latitude']} and longitude "
                f"within ±{COORDINATE_LIMITS['longitude']}."
            )
        if latitude is not None and not self._moved_without_new_coordinates():
            cleaned["location_source"] = (
                "explicit"
                if {"latitude", "longitude"} & set(self.changed_data)
                else (self.instance.location_source or "explicit")
            )
            return cleaned
        latitude, longitude, source = practice_location_resolve(
            line1=cleaned.get("address_line1", ""), city=cleaned.get("city", ""), place=place
        )
        cleaned.update(latitude=latitude, longitude=longitude, location_source=source)
        return cleaned

    def _moved_without_new_coordinates(self) -> bool:
        """The address changed but the coordinates did not, and they were derived from it."""
        address_changed = bool({"address_line1", "city", "state", "zip"} & set(self.changed_data))
        coordinates_changed = bool({"latitude", "longitude"} & set(self.changed_data))
        derived = self.instance.pk and self.instance.location_source != "explicit"
        return bool(address_changed and not coordinates_changed and derived)

    def _post_clean(self):
        # location_source is not a form field; carry the value clean() chose onto the row.
        super()._post_clean()
        if "location_source" in self.cleaned_data:
            self.instance.location_source = self.cleaned_data["location_source"]


class LanguagesField(forms.MultipleChoiceField):
    """The stored ``en;es`` text as a list to pick from, by name."""

    def __init__(self, **kwargs):
        choices = sorted(LANGUAGES.items(), key=lambda item: str(item[1]))
        super().__init__(
            choices=choices,
            required=False,
            widget=FilteredSelectMultiple("languages", is_stacked=False),
            help_text="The languages the specialist speaks with patients.",
            **kwargs,
        )

    def prepare_value(self, value):
        return language_codes(value) if isinstance(value, str) else value

    def clean(self, value):
        return LANGUAGE_SEPARATOR.join(sorted(super().clean(value)))


class SpecialistAdminForm(PracticeLocationForm):
    languages = LanguagesField()

    class Meta:
        model = Specialist
        fields = [
            "first_name",
            "last_name",
            "credentials",
            "npi",
            "slug",
            "specialty",
            "institute",
            "active",
            "accepting_new_patients",
            "phone",
            "email",
            "treatments",
            "languages",
            "gender",
            "telehealth",
            "insurance",
            *ADDRESS_FIELDS,
        ]


class InstituteAdminForm(PracticeLocationForm):
    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Institute
        fields = [
            "name",
            "slug",
            "active",
            "description",
            "opening_hours",
            "phone",
            "website",
            *ADDRESS_FIELDS,
        ]


class ProviderUploadForm(forms.Form):
    file = forms.FileField(
        label="Provider CSV",
        help_text="UTF-8 CSV with the columns of `manage.py import_providers`.",
    )
    dry_run = forms.BooleanField(
        required=False,
        label="Dry run",
        help_text="Validate every row and show what would change, without writing anything.",
    )


class CatalogChoiceField(forms.MultipleChoiceField):
    """Catalog rows (treatments, insurance plans) by slug, as checkboxes; a slug not in the
    catalog is named with the catalog's own message."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, unknown, **kwargs):
        self.unknown = unknown
        super().__init__(required=False, **kwargs)

    def validate(self, value):
        for slug in value:
            if not self.valid_value(slug):
                raise ValidationError(self.unknown(slug), code="invalid_choice")


class ListingCorrectionForm(forms.Form):
    """What a specialist may correct on their own listing (``specialists.corrections``),
    filled in with what it says now. ``cleaned_data`` (less ``note``) is a proposal in
    ``listing_values``'s shape. Provider-facing: English."""

    accepting_new_patients = forms.TypedChoiceField(
        label="Are you accepting new patients?",
        choices=[("yes", "Yes, we take new patients"), ("no", "No, not at the moment")],
        coerce=lambda answer: answer == "yes",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Say whether you take new patients.",
            "invalid_choice": "Answer yes or no.",
        },
    )
    phone = forms.CharField(
        label="Phone number for new patients",
        max_length=40,
        error_messages={"required": "Enter the phone number patients should call."},
    )
    treatments = CatalogChoiceField(label="Treatments you offer", unknown=unknown_treatment_message)
    languages = forms.CharField(
        label="Languages you speak with patients",
        required=False,
        max_length=500,
        help_text="By name, separated by commas, for example English, Spanish.",
    )
    insurance = CatalogChoiceField(label="Insurance you accept", unknown=unknown_insurance_message)
    weekly_capacity = forms.IntegerField(
        label="New patient requests a week, at most",
        required=False,
        min_value=0,
        max_value=MAX_WEEKLY_CAPACITY,
        help_text="Leave empty for no limit; 0 pauses new requests.",
        error_messages={
            "invalid": "Enter a whole number of requests a week, or leave it empty.",
            "min_value": f"Enter a number from 0 to {MAX_WEEKLY_CAPACITY}, or leave it empty.",
            "max_value": f"Enter a number from 0 to {MAX_WEEKLY_CAPACITY}, or leave it empty.",
        },
    )
    note = forms.CharField(
        label="Anything else we should correct (an address, a name)?",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, specialist: Specialist, **kwargs):
        current = listing_values(specialist)
        kwargs["initial"] = {
            **current,
            "accepting_new_patients": "yes" if current["accepting_new_patients"] else "no",
            "languages": ", ".join(language_names(current["languages"])),
        }
        super().__init__(*args, **kwargs)
        self.fields["treatments"].choices = Treatment.objects.values_list("slug", "name")
        self.fields["insurance"].choices = InsurancePlan.objects.values_list("slug", "name")

    def clean_phone(self):
        return us_phone_to_e164(self.cleaned_data["phone"])

    def clean_languages(self):
        try:
            return language_codes_from_names(self.cleaned_data["languages"])
        except LanguageCodeError as error:
            raise ValidationError(str(error), code="invalid_language") from None

    def proposal(self) -> dict:
        """The valid form as a proposal (``correction_propose``'s ``proposed``)."""
        values = {field.name: self.cleaned_data[field.name] for field in CORRECTABLE_FIELDS}
        for name in ("treatments", "insurance"):
            values[name] = sorted(values[name])
        return values
