"""Public POST endpoints: leads, newsletter and e-book.

The input serializers are shared with the server-rendered forms, so they accept a JSON
object or a form's QueryDict. JSON values must have the right JSON type (a string is not a
number, ``"true"`` is not ``true``); a form's consent checkbox sends "on".
"""

import uuid
from functools import cached_property

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.fields import empty
from rest_framework.response import Response
from rest_framework.utils import html
from rest_framework.views import APIView

from core.api import PublicPostThrottle
from core.http import client_ip
from core.i18n import in_default_language
from core.phones import us_phone_parse
from geo.gazetteer import ZipCodeError, zip_place
from matcher.selectors import treatment_for_search
from specialists.models import unknown_treatment_message

from .consent import CONSENT_REQUIRED_MESSAGE
from .ebook import ebook_request
from .models import MAX_CHOSEN_SPECIALISTS, TRACKING_FIELDS, TRACKING_MAX_LENGTH, Lead
from .newsletter import newsletter_subscribe
from .receipts import lead_receipt_add, lead_receipt_ids
from .selectors import specialists_choosable
from .services import honeypot_filled, lead_submit

CHECKBOX_ON = {"on", "true", "1", "yes"}
MAX_MESSAGE_LENGTH = Lead._meta.get_field("message").max_length


def _require_text(field: serializers.Field, data) -> None:
    # JSON can carry lone surrogates ("\ud800"), which no database or mail encoder accepts.
    if not isinstance(data, str):
        field.fail("invalid")
    try:
        data.encode("utf-8")
    except UnicodeEncodeError:
        field.fail("invalid")


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers, booleans and text that is not valid Unicode,
    instead of turning them into text."""

    def to_internal_value(self, data):
        _require_text(self, data)
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    """Django's EmailValidator, on a JSON string only; no more than 254 characters."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        _require_text(self, data)
        return super().to_internal_value(data)


class TrackingField(StrictCharField):
    """Campaign tags and referrers come from URLs the patient never typed: an overlong
    one is cut to fit rather than costing the lead."""

    def __init__(self, *, max_length: int, **kwargs):
        self.cut_at = max_length
        super().__init__(required=False, allow_blank=True, default="", **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data)[: self.cut_at]


@extend_schema_field(OpenApiTypes.BOOL)
class ConsentField(serializers.Field):
    """Must be true: JSON ``true``, or a checked form checkbox ("on")."""

    default_error_messages = {
        "required": CONSENT_REQUIRED_MESSAGE,
        "null": CONSENT_REQUIRED_MESSAGE,
        "refused": CONSENT_REQUIRED_MESSAGE,
        "invalid": gettext_lazy("Must be the JSON boolean true."),
    }

    def get_value(self, dictionary):
        value = super().get_value(dictionary)
        if value is not empty and html.is_html_input(dictionary):
            return isinstance(value, str) and value.strip().lower() in CHECKBOX_ON
        return value

    def to_internal_value(self, data):
        if data is True:
            return True
        if data is False:
            self.fail("refused")
        self.fail("invalid")

    def to_representation(self, value):
        return bool(value)


@extend_schema_field(
    {"type": "array", "items": {"type": "integer"}, "maxItems": MAX_CHOSEN_SPECIALISTS}
)
class SpecialistChoiceField(serializers.Field):
    """Ids of the specialists the patient chose: a JSON list of integers, or a form's
    checked ``specialists`` boxes. Repeats count once."""

    default_error_messages = {
        "invalid": gettext_lazy("Give a list of specialist ids."),
        "too_many": gettext_lazy("Choose at most %(count)d specialists.")
        % {"count": MAX_CHOSEN_SPECIALISTS},
    }

    def get_value(self, dictionary):
        if html.is_html_input(dictionary):
            values = dictionary.getlist(self.field_name)
            if not values:
                return empty
            # A form's values are text; digits become the integers JSON would carry.
            return [
                int(value) if value.isascii() and value.isdigit() and len(value) < 12 else value
                for value in values
            ]
        return dictionary.get(self.field_name, empty)

    def to_internal_value(self, data):
        if not isinstance(data, list) or not all(
            isinstance(item, int) and not isinstance(item, bool) and 0 < item < 2**63
            for item in data
        ):
            self.fail("invalid")
        ids = list(dict.fromkeys(data))
        if len(ids) > MAX_CHOSEN_SPECIALISTS:
            self.fail("too_many")
        return ids

    def to_representation(self, value):
        return list(value)


def validate_zip_field(value: str) -> str:
    try:
        return zip_place(value).zip
    except ZipCodeError as error:
        raise serializers.ValidationError(str(error)) from None


class LeadInputSerializer(serializers.Serializer):
    """Step 2 of the funnel. ``validated_data`` is what ``services.lead_submit`` takes:
    ``zip`` as 5 digits, ``treatment`` a Treatment or None, ``phone`` in E.164 with
    ``phone_extension`` beside it ("" for none), ``specialists`` (when chosen) the chosen
    Specialist rows in the order given."""

    # min_length=1 says in the schema what allow_blank=False already enforces.
    zip = StrictCharField(
        min_length=1,
        max_length=20,
        error_messages={"invalid": gettext_lazy("Enter a 5-digit US ZIP code.")},
    )
    treatment = StrictCharField(required=False, allow_blank=True, max_length=80)
    first_name = StrictCharField(min_length=1, max_length=80)
    last_name = StrictCharField(min_length=1, max_length=80)
    email = StrictEmailField()
    phone = StrictCharField(min_length=1, max_length=40)
    consent = ConsentField()
    message = StrictCharField(required=False, allow_blank=True, default="")
    specialists = SpecialistChoiceField(
        required=False,
        help_text=f"Ids of up to {MAX_CHOSEN_SPECIALISTS} specialists the patient chose; each "
        "must qualify for the treatment and accept new patients. Omitted: routed to the "
        "nearest who do.",
    )

    def get_fields(self):
        fields = super().get_fields()
        fields.update(
            (name, TrackingField(max_length=TRACKING_MAX_LENGTH[name])) for name in TRACKING_FIELDS
        )
        return fields

    @cached_property
    def fields(self):
        # DRF builds every field anew for each serializer (a deep copy of the declared
        # ones), a third of what validating a lead costs. These fields keep nothing of a
        # request and read neither context nor instance: one set, bound to a serializer of
        # its own, serves every request of the process.
        cls = type(self)
        if "_shared_fields" not in cls.__dict__:
            cls._shared_fields = serializers.Serializer.fields.func(cls())
        return cls._shared_fields

    def validate_zip(self, value):
        return validate_zip_field(value)

    def validate_treatment(self, value):
        if not value:
            return None
        treatment = treatment_for_search(slug=value)
        if treatment is None:
            raise serializers.ValidationError(unknown_treatment_message(value))
        return treatment

    def validate_message(self, value):
        # Said with the count, so a patient who pasted a long text knows how much to cut.
        if len(value) > MAX_MESSAGE_LENGTH:
            raise serializers.ValidationError(
                gettext(
                    "Please keep your message to %(limit)d characters or fewer (it has %(count)d)."
                )
                % {"limit": MAX_MESSAGE_LENGTH, "count": len(value)}
            )
        return value

    def validate_phone(self, value):
        try:
            return us_phone_parse(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None

    def validate(self, attrs):
        phone = attrs["phone"]
        attrs["phone"], attrs["phone_extension"] = phone.e164, phone.extension
        if attrs.get("specialists"):
            attrs["specialists"] = self._chosen(attrs["specialists"], attrs.get("treatment"))
        return attrs

    def _chosen(self, ids: list[int], treatment) -> list:
        found = specialists_choosable(ids=ids, treatment=treatment)
        problems = []
        for pk in ids:
            specialist = found.get(pk)
            if specialist is None:
                problems.append(
                    gettext(
                        "Specialist %(id)d is not a board-certified specialist in our "
                        "directory who offers %(treatment)s."
                    )
                    % {"id": pk, "treatment": treatment.text.name.lower()}
                    if treatment
                    else gettext(
                        "Specialist %(id)d is not a board-certified specialist in our directory."
                    )
                    % {"id": pk}
                )
            elif not specialist.accepting_new_patients:
                problems.append(
                    gettext("%(name)s is not accepting new patients.")
                    % {"name": specialist.display_name}
                )
        if problems:
            raise serializers.ValidationError({"specialists": problems})
        return [found[pk] for pk in ids]


class NewsletterInputSerializer(serializers.Serializer):
    email = StrictEmailField()


class EbookInputSerializer(serializers.Serializer):
    email = StrictEmailField()
    first_name = StrictCharField(min_length=1, max_length=80)


def json_body(request):
    """``request.data``, with a body that is not JSON reported in the contract's shape."""
    try:
        return request.data
    except (exceptions.ParseError, RecursionError):  # RecursionError: absurdly nested JSON
        raise exceptions.ValidationError(
            {"non_field_errors": [gettext("The request body must be a JSON object.")]}
        ) from None


class LeadMatchOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="specialist.id")
    name = serializers.CharField(source="specialist.display_name")
    distance = serializers.FloatField()
    url = serializers.CharField(source="specialist.get_absolute_url")


def lead_output(submission) -> dict:
    """``LeadCreateApi.OutputSerializer``'s representation of ``submission``, written out:
    the serializer's machinery cost a tenth of a lead's CPU."""
    return {
        "id": str(submission.lead.id),
        "status": str(submission.lead.status),
        "matches": [
            {
                "id": int(match.specialist.id),
                "name": str(match.specialist.display_name),
                "distance": float(match.distance),
                "url": str(match.specialist.get_absolute_url()),
            }
            for match in submission.matches
        ],
    }


class LeadCreateApi(APIView):
    """POST /api/v1/leads/: store a lead, route it to up to 3 specialists, owe its emails."""

    throttle_classes = [PublicPostThrottle]
    InputSerializer = LeadInputSerializer

    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        status = serializers.CharField()
        matches = LeadMatchOutputSerializer(many=True)

    @extend_schema(
        request=LeadInputSerializer,
        responses={
            201: OutputSerializer,
            200: OpenApiResponse(
                OutputSerializer,
                description="The same request again within 24 hours from the client that "
                "sent it (its lead_receipt cookie): the first lead, nothing new owed.",
            ),
            400: OpenApiResponse(description="{field: [messages]}"),
            429: OpenApiResponse(description="Too many posts; see Retry-After."),
        },
    )
    def post(self, request):
        data = json_body(request)
        if honeypot_filled(data):
            return Response(
                {"id": str(uuid.uuid4()), "status": "new", "matches": []},
                status=status.HTTP_201_CREATED,
            )
        serializer = self.InputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        submission = lead_submit(
            data=serializer.validated_data,
            client_ip=client_ip(request),
            submitted_ids=lead_receipt_ids(request),
        )
        with in_default_language():  # the English pages' addresses, in every language
            body = lead_output(submission)
        if not submission.created:
            return Response(body, status=status.HTTP_200_OK)
        response = Response(body, status=status.HTTP_201_CREATED)
        lead_receipt_add(response, request=request, lead_id=submission.lead.id)
        return response


PendingSerializer = inline_serializer(name="Pending", fields={"status": serializers.CharField()})
SIGNUP_RESPONSES = {
    202: PendingSerializer,
    400: OpenApiResponse(description="{field: [messages]}"),
    429: OpenApiResponse(description="Too many posts; see Retry-After."),
}


class NewsletterSubscribeApi(APIView):
    """POST /api/v1/newsletter/: start double opt-in. Always 202 pending (no enumeration)."""

    throttle_classes = [PublicPostThrottle]
    InputSerializer = NewsletterInputSerializer

    @extend_schema(request=NewsletterInputSerializer, responses=SIGNUP_RESPONSES)
    def post(self, request):
        serializer = self.InputSerializer(data=json_body(request))
        serializer.is_valid(raise_exception=True)
        newsletter_subscribe(email=serializer.validated_data["email"])
        return Response({"status": "pending"}, status=status.HTTP_202_ACCEPTED)


class EbookRequestApi(APIView):
    """POST /api/v1/ebook/: email a signed, expiring download link. Always 202."""

    throttle_classes = [PublicPostThrottle]
    InputSerializer = EbookInputSerializer

    @extend_schema(request=EbookInputSerializer, responses=SIGNUP_RESPONSES)
    def post(self, request):
        serializer = self.InputSerializer(data=json_body(request))
        serializer.is_valid(raise_exception=True)
        ebook_request(**serializer.validated_data)
        return Response({"status": "pending"}, status=status.HTTP_202_ACCEPTED)
