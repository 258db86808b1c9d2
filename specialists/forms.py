"""Admin forms: listings keep the same rules as the import (E.164 phones, a ZIP whose state
matches, coordinates placed from the address when left empty)."""

from django import forms
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import ValidationError

from core.phones import us_phone_to_e164
from geo.gazetteer import ZipCodeError, zip_place

from .facts import LANGUAGE_SEPARATOR, LANGUAGES, language_codes
from .models import Institute, Specialist
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
