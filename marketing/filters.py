"""The lead-export filters: one validation shared by the API and the command."""

import dataclasses
import datetime

from rest_framework import serializers

from leads.models import Lead
from specialists.models import Treatment, unknown_treatment_message

# USPS codes of the states, DC, the inhabited territories and the military "states":
# every state a stored lead can carry, since it comes from the ZIP gazetteer.
# fmt: off
US_STATE_CODES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
    "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY", "DC", "AS", "GU", "MP", "PR", "VI", "FM", "MH", "PW", "AA", "AE", "AP",
})
# fmt: on

FILTER_NAMES = ("created_after", "created_before", "treatment", "state", "status")


@dataclasses.dataclass(frozen=True)
class ExportFilters:
    """Validated filters; dates are inclusive calendar days in the site time zone."""

    created_after: datetime.date | None = None
    created_before: datetime.date | None = None
    treatment: Treatment | None = None
    state: str = ""
    status: str = ""

    def as_json(self) -> dict:
        """The filters as given, for the export audit record (only the ones in use)."""
        values = {
            "created_after": self.created_after and self.created_after.isoformat(),
            "created_before": self.created_before and self.created_before.isoformat(),
            "treatment": self.treatment and self.treatment.slug,
            "state": self.state,
            "status": self.status,
        }
        return {name: value for name, value in values.items() if value}


class ExportFilterSerializer(serializers.Serializer):
    created_after = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])
    created_before = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])
    treatment = serializers.CharField(required=False, max_length=80)
    state = serializers.CharField(required=False, max_length=10)
    status = serializers.CharField(required=False, max_length=20)

    def validate_treatment(self, value: str) -> Treatment:
        treatment = Treatment.objects.filter(slug=value).first()
        if treatment is None:
            raise serializers.ValidationError(unknown_treatment_message(value))
        return treatment

    def validate_state(self, value: str) -> str:
        code = value.strip().upper()
        if code not in US_STATE_CODES:
            raise serializers.ValidationError(
                f"Unknown US state or territory code {value!r}; use two letters, e.g. NY."
            )
        return code

    def validate_status(self, value: str) -> str:
        if value not in Lead.Status.values:
            raise serializers.ValidationError(
                f"Unknown status {value!r}; use one of: {', '.join(Lead.Status.values)}."
            )
        return value

    def validate(self, attrs):
        after, before = attrs.get("created_after"), attrs.get("created_before")
        if after and before and after > before:
            raise serializers.ValidationError(
                {"created_after": ["created_after must not be later than created_before."]}
            )
        return attrs


def export_filters_validate(*, data) -> ExportFilters:
    """Validate raw filter values (query parameters or command options).

    Blank values count as absent; an unknown parameter name is an error too, so a typo
    never silently exports every lead. Raises rest_framework ValidationError with the
    contract's ``{"parameter": ["message"]}`` shape.
    """
    unknown = sorted(set(data) - set(FILTER_NAMES))
    if unknown:
        raise serializers.ValidationError(
            {name: [f"Unknown parameter; use {', '.join(FILTER_NAMES)}."] for name in unknown}
        )
    given = {
        name: value.strip()
        for name, value in ((name, data.get(name)) for name in FILTER_NAMES)
        if value is not None and value.strip()
    }
    serializer = ExportFilterSerializer(data=given)
    serializer.is_valid(raise_exception=True)
    return ExportFilters(**serializer.validated_data)
