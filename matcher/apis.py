"""The public read APIs: nearest specialists, nearest institutes, the treatment list.

``MatchQuerySerializer`` is the one parser of the search parameters; the /find/ page uses it
with the request's parameters, so the page and the API accept and reject the same input.
"""

from __future__ import annotations

import functools
import math
import re

import orjson
from django.http import HttpResponse
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from core.api import json_bytes
from core.i18n import in_default_language
from core.middleware import sessionless
from geo.distance import DEFAULT_UNIT, UNITS
from geo.gazetteer import PlaceError, ZipCodeError, place_search, zip_place
from specialists.facts import GENDER_WORDS, LANGUAGES, SpecialtyGroup
from specialists.models import Treatment, unknown_insurance_message, unknown_treatment_message

from .index import SORT_DISTANCE, SORTS
from .query import (
    DEFAULT_LIMIT,
    DEFAULT_RADIUS,
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_RADIUS,
    MatchQuery,
)
from .selectors import (
    InstituteMatch,
    institute_nearest_beyond,
    institute_search,
    insurance_for_search,
    specialist_search_card_bytes,
    specialist_search_cards,
    treatment_for_search,
)
from .signals import search_performed

# Query-string numbers are plain ASCII decimals: Python's float() and int() would also take
# "nan", "1e999", "١٠" or "１０", none of which a form or a client means as a radius.
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_MAX_NUMBER_LENGTH = 20


class BlankIsAbsent:
    """An optional field sent empty (a form's untouched input) takes its default, whether
    the data is a QueryDict or a plain dict."""

    def get_value(self, dictionary):
        value = super().get_value(dictionary)
        return empty if value == "" and not self.required else value


class PlainDecimalField(BlankIsAbsent, serializers.FloatField):
    """A finite number written with ASCII digits and an optional decimal point."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int | float):
            value = float(data)
        else:
            text = str(data).strip()
            if len(text) > _MAX_NUMBER_LENGTH or not _DECIMAL.fullmatch(text):
                self.fail("invalid")
            value = float(text)
        if not math.isfinite(value):
            self.fail("invalid")
        return value

    def to_representation(self, value):
        return _plain_number(value)


def _plain_number(value: float) -> int | float:
    """50.0 as 50, so a radius reads back the way a client most likely wrote it."""
    value = float(value)
    return int(value) if value.is_integer() else value


class PlainIntegerField(BlankIsAbsent, serializers.IntegerField):
    """A whole number written with ASCII digits."""

    def to_internal_value(self, data):
        if isinstance(data, bool | float):
            self.fail("invalid")
        if isinstance(data, int):
            return data
        text = str(data).strip()
        if len(text) > _MAX_NUMBER_LENGTH or not _INTEGER.fullmatch(text):
            self.fail("invalid")
        return int(text)


class UnitField(BlankIsAbsent, serializers.ChoiceField):
    """ "mi" or "km"; empty means the default."""


class ChoiceParameter(BlankIsAbsent, serializers.ChoiceField):
    """One of a few words, exactly as written; empty means absent."""


@extend_schema_field(OpenApiTypes.BOOL)
class TrueFalseField(BlankIsAbsent, serializers.Field):
    """``true`` or ``false`` (a checked checkbox sends ``true``); empty means false."""

    default_error_messages = {"invalid": gettext_lazy("Enter true or false.")}

    def to_internal_value(self, data):
        if data is True or data == "true":
            return True
        if data is False or data == "false":
            return False
        self.fail("invalid")

    def to_representation(self, value):
        return bool(value)


class SlugParameter(BlankIsAbsent, serializers.CharField):
    """A catalog slug or code; empty means absent."""


class MatchQuerySerializer(serializers.Serializer):
    """The search parameters, for the match and institute APIs and the /find/ page.

    A repeated parameter counts with its last value (Django's ``QueryDict.get``); an empty
    optional parameter counts as absent. ``validated_data`` is a ``MatchQuery``. With
    ``context={"places": True}`` (the pages), ``zip`` also takes a city
    (``geo.gazetteer.place_search``).
    """

    # A blank ZIP is answered by validate_zip's message, so allow_blank; min_length only
    # tells the schema that a blank one is not a valid search.
    zip = serializers.CharField(
        allow_blank=True,
        min_length=1,
        help_text="5-digit US ZIP code or ZIP+4 (12345-6789 or 123456789).",
    )
    treatment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=80,
        help_text="A treatment slug from /api/v1/treatments/; omit for any treatment.",
    )
    radius = PlainDecimalField(
        required=False,
        default=DEFAULT_RADIUS,
        min_value=1,
        max_value=MAX_RADIUS,
        help_text="In `unit`.",
    )
    limit = PlainIntegerField(
        required=False, default=DEFAULT_LIMIT, min_value=1, max_value=MAX_LIMIT
    )
    unit = UnitField(
        choices=UNITS,
        required=False,
        default=DEFAULT_UNIT,
        error_messages={"invalid_choice": gettext_lazy("Enter mi or km.")},
    )
    offset = PlainIntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=MAX_OFFSET,
        help_text="How many results of the ordered list to skip, for the next page.",
    )
    sort = ChoiceParameter(
        choices=SORTS,
        required=False,
        default=SORT_DISTANCE,
        error_messages={"invalid_choice": gettext_lazy("Enter distance or name.")},
        help_text="`distance` (nearest first, the default) or `name` (by last name).",
    )
    accepting = TrueFalseField(
        required=False,
        default=False,
        help_text="`true`: only specialists accepting new patients.",
    )
    telehealth = TrueFalseField(
        required=False, default=False, help_text="`true`: only specialists offering telehealth."
    )
    language = SlugParameter(
        required=False,
        default=None,
        max_length=10,
        help_text="An ISO 639-1 code (es, vi, zh...): only specialists who speak it.",
    )
    gender = ChoiceParameter(
        choices=list(GENDER_WORDS),
        required=False,
        default=None,
        error_messages={"invalid_choice": gettext_lazy("Enter female or male.")},
        help_text="`female` or `male`, as listed in NPPES.",
    )
    insurance = SlugParameter(
        required=False,
        default=None,
        max_length=80,
        help_text="An insurance plan slug (medicare, medicaid, tricare...): only specialists "
        "who accept it.",
    )
    specialty = ChoiceParameter(
        choices=SpecialtyGroup.values,
        required=False,
        default=None,
        error_messages={
            "invalid_choice": gettext_lazy("Enter surgery, pain-medicine or rehabilitation.")
        },
        help_text="A specialty group: " + ", ".join(f"`{v}`" for v in SpecialtyGroup.values) + ".",
    )

    def validate_zip(self, value):
        # The patient pages also take a city ("Austin, TX"); the API's contract is ZIPs only.
        resolve = place_search if self.context.get("places") else zip_place
        try:
            return resolve(value)
        except PlaceError as error:
            raise serializers.ValidationError(error.messages) from None
        except ZipCodeError as error:
            raise serializers.ValidationError(str(error)) from None

    def validate_treatment(self, value):
        if not value:
            return None
        treatment = treatment_for_search(slug=value)
        if treatment is None:
            raise serializers.ValidationError(unknown_treatment_message(value))
        return treatment

    def validate_language(self, value):
        if value is None:
            return None
        code = value.strip().lower()
        if code not in LANGUAGES:
            raise serializers.ValidationError(
                gettext("Unknown language '%(code)s': use an ISO 639-1 code such as es.")
                % {"code": value}
            )
        return code

    def validate_gender(self, value):
        return None if value is None else GENDER_WORDS[value].value

    def validate_insurance(self, value):
        if value is None:
            return None
        plan = insurance_for_search(slug=value)
        if plan is None:
            raise serializers.ValidationError(unknown_insurance_message(value))
        return plan

    def validate(self, attrs):
        return _match_query(attrs)


def _match_query(attrs: dict) -> MatchQuery:
    return MatchQuery(
        origin=attrs["zip"],
        treatment=attrs["treatment"],
        radius=float(attrs["radius"]),
        unit=attrs["unit"],
        limit=attrs["limit"],
        offset=attrs["offset"],
        sort=attrs["sort"],
        accepting=attrs["accepting"],
        telehealth=attrs["telehealth"],
        language=attrs["language"],
        gender=attrs["gender"],
        insurance=attrs["insurance"],
        specialty=attrs["specialty"],
    )


def match_query_parse(params) -> MatchQuery:
    """The search ``params`` ask for; raises DRF's ValidationError (400) naming each bad one."""
    parsed = MatchQuerySerializer(data=params)
    parsed.is_valid(raise_exception=True)
    return parsed.validated_data


# --- The same rules, read fast -------------------------------------------------------------
# Building the serializer deep-copies its thirteen fields on every request, which costs as
# much as the search itself. Parameters written the plain way clients write them are read
# here instead, with the bounds and choices of the serializer's own fields; anything else,
# valid or not, goes to the serializer, so every message still comes from it.

_FIELDS = MatchQuerySerializer._declared_fields
_PLAIN_ZIP = re.compile(r"\d{5}(?:-?\d{4})?", re.ASCII)
_UNSIGNED = re.compile(r"\d+", re.ASCII)


class _NotPlain(Exception):
    """A parameter the serializer must judge."""


def _given(params, name: str) -> str | None:
    """The parameter's last value; None when absent or empty (an optional field's
    default)."""
    value = params.get(name)
    return None if value is None or value == "" else value


def _fast_number(params, name: str, pattern: re.Pattern, convert):
    field = _FIELDS[name]
    raw = _given(params, name)
    if raw is None:
        return field.default
    if len(raw) > _MAX_NUMBER_LENGTH or not pattern.fullmatch(raw):
        raise _NotPlain
    value = convert(raw)
    if not field.min_value <= value <= field.max_value:
        raise _NotPlain
    return value


def _fast_choice(params, name: str):
    field = _FIELDS[name]
    raw = _given(params, name)
    if raw is None:
        return field.default
    if raw not in field.choice_strings_to_values:
        raise _NotPlain
    return field.choice_strings_to_values[raw]


def _fast_flag(params, name: str) -> bool:
    raw = _given(params, name)
    if raw is None:
        return _FIELDS[name].default
    if raw not in ("true", "false"):
        raise _NotPlain
    return raw == "true"


def _fast_catalog(params, name: str, find):
    raw = _given(params, name)
    if raw is None:
        return None
    found = find(raw) if len(raw) <= _FIELDS[name].max_length else None
    if found is None:
        raise _NotPlain
    return found


def match_query_fast(params) -> MatchQuery | None:
    """``match_query_parse``'s answer when every parameter is written plainly (the ZIP's
    digits, a catalog slug or code as listed, ASCII numbers without spaces, each word as
    the field lists it); None otherwise, whether the value is valid or not, for
    the serializer to decide."""
    raw_zip = params.get("zip")
    if raw_zip is None or not _PLAIN_ZIP.fullmatch(raw_zip):
        return None
    try:
        gender = _fast_choice(params, "gender")
        return _match_query(
            {
                "zip": zip_place(raw_zip),
                "treatment": _fast_catalog(
                    params, "treatment", lambda slug: treatment_for_search(slug=slug)
                ),
                "radius": _fast_number(params, "radius", _DECIMAL, float),
                "unit": _fast_choice(params, "unit"),
                "limit": _fast_number(params, "limit", _UNSIGNED, int),
                "offset": _fast_number(params, "offset", _UNSIGNED, int),
                "sort": _fast_choice(params, "sort"),
                "accepting": _fast_flag(params, "accepting"),
                "telehealth": _fast_flag(params, "telehealth"),
                "language": _fast_catalog(
                    params, "language", lambda code: code if code in LANGUAGES else None
                ),
                "gender": None if gender is None else GENDER_WORDS[gender].value,
                "insurance": _fast_catalog(
                    params, "insurance", lambda slug: insurance_for_search(slug=slug)
                ),
                "specialty": _fast_choice(params, "specialty"),
            }
        )
    except (_NotPlain, ZipCodeError):
        return None


# --- Output ----------------------------------------------------------------------------


class OriginSerializer(serializers.Serializer):
    zip = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()


class AddressSerializer(serializers.Serializer):
    line1 = serializers.CharField(source="address_line1")
    line2 = serializers.CharField(source="address_line2")
    city = serializers.CharField()
    state = serializers.CharField()
    zip = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()


class CertificationSerializer(serializers.Serializer):
    board = serializers.CharField(source="board.code")
    board_name = serializers.CharField(source="board.name")
    expires_on = serializers.DateField(allow_null=True, help_text="Null: no expiry.")


class InstituteRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class BeyondRadiusSerializer(serializers.Serializer):
    """The nearest candidate outside the radius, so an empty answer can say how far to go."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    distance = serializers.FloatField()
    url = serializers.CharField()


def _envelope(query: MatchQuery, results: list, total: int) -> dict:
    """The contract's envelope as plain JSON-ready values, shared by both search endpoints."""
    origin = query.origin
    return {
        "origin": {
            "zip": origin.zip,
            "city": origin.city,
            "state": origin.state,
            "latitude": origin.latitude,
            "longitude": origin.longitude,
        },
        "treatment": query.treatment.slug if query.treatment else None,
        "radius": _plain_number(query.radius),
        "unit": query.unit,
        "count": len(results),
        "total": total,
        "results": results,
    }


class EnvelopeSerializer(serializers.Serializer):
    origin = OriginSerializer()
    treatment = serializers.CharField(allow_null=True)
    radius = PlainDecimalField()
    unit = serializers.ChoiceField(choices=UNITS)
    count = serializers.IntegerField(help_text="The number of results returned.")
    total = serializers.IntegerField(
        help_text="The number of results within the radius for these filters, on every page."
    )


_ERROR_RESPONSE = {
    400: OpenApiResponse(
        response=OpenApiTypes.OBJECT,
        description='Each bad parameter and its messages: {"zip": ["Unknown ZIP code 00000."]}',
    ),
}


@extend_schema_field(OpenApiTypes.STR)
class TreatmentSlugField(serializers.RelatedField):
    """A treatment as its slug, read from the prefetched rows."""

    def to_representation(self, value):
        return value.slug


class SpecialistResultSerializer(serializers.Serializer):
    """The documented shape of one result, from a ``SpecialistMatch`` whose specialist was
    loaded with ``with_profile()``. The API serves the same dicts built by
    ``selectors.specialist_cards`` (a test holds the two equal)."""

    class Meta:
        ref_name = "SpecialistMatch"

    id = serializers.IntegerField(source="specialist.id")
    slug = serializers.CharField(source="specialist.slug")
    npi = serializers.CharField(source="specialist.npi")
    name = serializers.CharField(source="specialist.display_name")
    first_name = serializers.CharField(source="specialist.first_name")
    last_name = serializers.CharField(source="specialist.last_name")
    credentials = serializers.CharField(source="specialist.credentials")
    specialty = serializers.CharField(source="specialist.specialty")
    accepting_new_patients = serializers.BooleanField(source="specialist.accepting_new_patients")
    phone = serializers.CharField(source="specialist.phone", help_text="E.164.")
    address = AddressSerializer(source="specialist")
    board_certifications = CertificationSerializer(
        source="specialist.current_certifications",
        many=True,
        help_text="Only the certifications current today.",
    )
    treatments = TreatmentSlugField(source="specialist.treatments", many=True, read_only=True)
    institute = InstituteRefSerializer(source="specialist.institute", allow_null=True)
    distance = serializers.FloatField(help_text="Great-circle, rounded to 0.1 `unit`.")
    url = serializers.CharField(source="specialist.get_absolute_url")


# --- The lean GET ----------------------------------------------------------------------------

_AXES = ("latitude", "longitude")


def _plain_json_accepted(request) -> bool:
    """Whether DRF's content negotiation picks plain JSON: no format override, and an
    Accept header that is absent or names JSON (or any type) with no parameters (its
    ``indent`` would change the body; DRF judges every other case)."""
    if api_settings.URL_FORMAT_OVERRIDE in request.GET:
        return False
    accepted = False
    for media_range in request.META.get("HTTP_ACCEPT", "*/*").lower().split(","):
        media_range = media_range.strip()
        if ";" in media_range:
            return False
        accepted |= media_range in ("*/*", "application/*", "application/json")
    return accepted


class LeanGetApi(APIView):
    """A read API whose ordinary GET is answered without DRF's request wrapper, content
    negotiation, serializers and renderer: parameters written plainly
    (``match_query_fast``) and JSON accepted get ``lean_body(query)``, the bytes DRF's
    ``get`` would answer (a test compares the two). Every other request (errors and their
    messages, HEAD, OPTIONS, another format) goes to DRF's view, unchanged."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @classmethod
    def as_view(cls, **initkwargs):
        drf_view = super().as_view(**initkwargs)
        probe = cls(**initkwargs)
        probe.setup(None)
        allow = ", ".join(probe.allowed_methods)

        def view(request, *args, **kwargs):
            if request.method == "GET" and _plain_json_accepted(request):
                query = match_query_fast(request.GET)
                if query is not None:
                    response = HttpResponse(
                        cls.lean_body(request, query), content_type="application/json"
                    )
                    response["Allow"] = allow
                    return response
            return drf_view(request, *args, **kwargs)

        # The schema generator reads the DRF view's class, Django its CSRF exemption.
        return sessionless(functools.wraps(drf_view)(view))


class SpecialistMatchApi(LeanGetApi):
    """Nearest qualifying specialists to a ZIP code.

    Every qualifying specialist's result card is in the index snapshot, already written
    as JSON (``specialist_search_card_bytes``); this output serializer documents their
    shape.
    """

    class OutputSerializer(EnvelopeSerializer):
        class Meta:
            ref_name = "SpecialistMatchResponse"

        results = SpecialistResultSerializer(many=True)
        nearest_beyond_radius = BeyondRadiusSerializer(allow_null=True)

    @classmethod
    def _searched(cls, request, query: MatchQuery) -> None:
        """Tell the funnel (marketing counts the search)."""
        search_performed.send(
            sender=cls,
            treatment=query.treatment,
            utm_source=request.GET.get("utm_source"),
        )

    @staticmethod
    def _beyond(query: MatchQuery) -> dict | None:
        """The nearest qualifying specialist at any distance, for an empty answer."""
        nearest, _ = specialist_search_cards(query.unbounded(), count=False)
        if not nearest:
            return None
        card, distance = nearest[0]
        return {"id": card["id"], "name": card["name"], "distance": distance, "url": card["url"]}

    @classmethod
    def answer(cls, request, query: MatchQuery) -> dict:
        """The 200 body as plain JSON values."""
        cls._searched(request, query)
        found, total = specialist_search_cards(query)
        # A card holds "distance": None in its contract position; the copy fills it in.
        results = [{**card, "distance": distance} for card, distance in found]
        beyond = None if total else cls._beyond(query)
        return {**_envelope(query, results, total), "nearest_beyond_radius": beyond}

    @classmethod
    def lean_body(cls, request, query):
        """``answer``'s bytes, joined from the envelope and the snapshot's card bytes with
        each distance written into its ``"distance":null``."""
        cls._searched(request, query)
        found, total = specialist_search_card_bytes(query)
        envelope = _envelope(query, [], total)
        del envelope["results"]
        envelope["count"] = len(found)
        origin = envelope["origin"]
        head = json_bytes(envelope, floats=(origin["latitude"], origin["longitude"]))
        # Distances are rounded to 0.1: orjson writes them as DRF's renderer does.
        cards = b",".join(
            card.replace(b'"distance":null', b'"distance":' + orjson.dumps(distance), 1)
            for card, distance in found
        )
        beyond = None if total else cls._beyond(query)
        return b"".join(
            (
                head[:-1],
                b',"results":[',
                cards,
                b'],"nearest_beyond_radius":',
                json_bytes(beyond),
                b"}",
            )
        )

    @extend_schema(
        operation_id="match_specialists",
        parameters=[MatchQuerySerializer],
        responses={200: OutputSerializer, **_ERROR_RESPONSE},
    )
    def get(self, request):
        # Cards are already plain JSON values: no serializer pass.
        return Response(self.answer(request, match_query_parse(request.query_params)))


class InstituteNearestApi(LeanGetApi):
    """Nearest active institutes with a qualifying specialist.

    Takes every parameter the match takes: the listing facts choose which specialists
    count (an institute is listed when one of them matches, and ``specialists`` names only
    those), ``sort=name`` orders by the institute's name, ``offset`` pages.
    """

    class OutputSerializer(EnvelopeSerializer):
        class Meta:
            ref_name = "InstituteMatchResponse"

        class ResultSerializer(serializers.Serializer):
            class Meta:
                ref_name = "InstituteMatch"

            id = serializers.IntegerField(source="institute.id")
            slug = serializers.CharField(source="institute.slug")
            name = serializers.CharField(source="institute.name")
            phone = serializers.CharField(source="institute.phone", help_text="E.164 or empty.")
            address = AddressSerializer(source="institute")
            distance = serializers.FloatField(help_text="From the institute's own address.")
            url = serializers.CharField(source="institute.get_absolute_url")
            specialists = serializers.ListField(
                source="specialist_ids",
                child=serializers.IntegerField(),
                help_text="Ids of its qualifying specialists, nearest first.",
            )

        results = ResultSerializer(many=True)
        nearest_beyond_radius = BeyondRadiusSerializer(allow_null=True)

    @staticmethod
    def search(query: MatchQuery) -> tuple[dict, InstituteMatch | None]:
        """The envelope with ``InstituteMatch`` results, and the nearest beyond the radius
        when there are none."""
        matches, total = institute_search(query)
        beyond = None if total else institute_nearest_beyond(query)
        return _envelope(query, matches, total), beyond

    @classmethod
    def lean_body(cls, request, query):
        body, beyond = cls.search(query)
        results = []
        with in_default_language():  # the English pages' addresses, in every language
            for match in body["results"]:
                institute = match.institute
                results.append(
                    {
                        "id": institute.id,
                        "slug": institute.slug,
                        "name": institute.name,
                        "phone": institute.phone,
                        "address": {
                            "line1": institute.address_line1,
                            "line2": institute.address_line2,
                            "city": institute.city,
                            "state": institute.state,
                            "zip": institute.zip,
                            "latitude": institute.latitude,
                            "longitude": institute.longitude,
                        },
                        "distance": match.distance,
                        "url": institute.get_absolute_url(),
                        "specialists": match.specialist_ids,
                    }
                )
            body["results"] = results
            body["nearest_beyond_radius"] = beyond and _beyond(beyond.institute, beyond.distance)
        return json_bytes(
            body, floats=[result["address"][axis] for result in results for axis in _AXES]
        )

    @extend_schema(
        operation_id="match_institutes",
        parameters=[MatchQuerySerializer],
        responses={200: OutputSerializer, **_ERROR_RESPONSE},
    )
    def get(self, request):
        body, beyond = self.search(match_query_parse(request.query_params))
        with in_default_language():  # the English pages' addresses, in every language
            body["nearest_beyond_radius"] = beyond and _beyond(beyond.institute, beyond.distance)
            return Response(self.OutputSerializer(body).data)


def _beyond(institute, distance: float) -> dict:
    return {
        "id": institute.id,
        "name": institute.name,
        "distance": distance,
        "url": institute.get_absolute_url(),
    }


class TreatmentListApi(APIView):
    """Every treatment in catalog order."""

    authentication_classes = []
    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Treatment"

        slug = serializers.CharField()
        name = serializers.CharField()
        summary = serializers.CharField()
        url = serializers.CharField(source="get_absolute_url")

    @extend_schema(operation_id="treatments_list", responses=OutputSerializer(many=True))
    def get(self, request):
        treatments = Treatment.objects.order_by("sort_order", "name")
        with in_default_language():
            return Response(self.OutputSerializer(treatments, many=True).data)


class PingApi(APIView):
    """A trivial JSON answer with no database work: the benchmark's reference endpoint."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="ping",
        responses=inline_serializer("Ping", fields={"status": serializers.CharField()}),
    )
    def get(self, request):
        return Response({"status": "ok"})
