"""What every patient-facing page carries: the ZIP widget and the newsletter / e-book forms.

The sign-up forms post back to the page they sit on (a hidden ``form`` field says which),
are validated by the same serializers as the API and call the same lead services, so a
browser without JavaScript gets the API's rules and the API's messages.
"""

import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy

from core.api import PublicPostThrottle
from leads.apis import EbookInputSerializer, NewsletterInputSerializer
from leads.ebook import ebook_request
from leads.models import TRACKING_FIELDS, TRACKING_MAX_LENGTH, LeadMatch
from leads.newsletter import newsletter_subscribe
from matcher.query import DEFAULT_RADIUS, MAX_RADIUS

SHOWN_VALUE_MAX_LENGTH = 300
# The radii the search form offers: the API's default and maximum among them.
RADIUS_CHOICES = (10, 25, DEFAULT_RADIUS, 100, 250, MAX_RADIUS)


def clean_text(
    value: object, *, max_length: int = SHOWN_VALUE_MAX_LENGTH, multiline: bool = False
) -> str:
    """A query or form value safe to echo back into a page: no control characters (line
    breaks kept when ``multiline``), bounded."""
    if not isinstance(value, str):
        return ""
    kept = "".join(
        ch
        for ch in value[: max_length * 2]
        if unicodedata.category(ch)[0] != "C" or (multiline and ch in "\n\t")
    )
    return kept.strip()[:max_length]


def tracking_values(request: HttpRequest) -> dict[str, str]:
    """Campaign parameters and the outside referrer, carried from page to page to the lead.

    Taken from the query string when present (the widget passes them along); otherwise the
    referrer is the Referer header when it points to another site. Read once per request
    (a results page asks four times); the caller gets its own copy.
    """
    kept = getattr(request, "_tracking_values", None)
    if kept is None:
        kept = request._tracking_values = _tracking_read(request)
    return dict(kept)


def _tracking_read(request: HttpRequest) -> dict[str, str]:
    values = {}
    for name in TRACKING_FIELDS:
        value = clean_text(request.GET.get(name), max_length=TRACKING_MAX_LENGTH[name])
        if value:
            values[name] = value
    if "referrer" not in values:
        referer = clean_text(request.META.get("HTTP_REFERER"), max_length=500)
        try:
            referer_host = urlsplit(referer).hostname
        except ValueError:
            referer_host = None
        if referer_host and referer_host != request.get_host().split(":")[0]:
            values["referrer"] = referer
    return values


def widget_context(
    request: HttpRequest,
    *,
    treatment: str = "",
    zip: str = "",
    errors: dict | None = None,
    radius: int | None = None,
    heading: str = "",
    filters: dict | None = None,
) -> dict:
    """The ZIP widget's values and errors; ``filters`` (the /find/ page's, see
    ``views.search``) adds the filter and sort controls."""
    errors = errors or {}
    shown_fields = ("zip", "treatment", "radius", *((filters or {}).get("fields", ())))
    return {
        "zip": zip,
        "treatment": treatment,
        "errors": errors,
        "other_errors": {
            name: messages_ for name, messages_ in errors.items() if name not in shown_fields
        },
        "filters": filters,
        "tracking": tracking_values(request),
        "show_radius": radius is not None,
        "radius": radius,
        "radius_choices": sorted({*RADIUS_CHOICES, radius} - {None}),
        "heading": heading,
    }


@dataclass
class SignupForm:
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    confirmed: str = ""


def _newsletter(data) -> dict:
    """Subscribe through the API's serializer and service; returns the field errors, if any."""
    serializer = NewsletterInputSerializer(data=data)
    if not serializer.is_valid():
        return serializer.errors
    newsletter_subscribe(email=serializer.validated_data["email"])
    return {}


def _ebook(data) -> dict:
    serializer = EbookInputSerializer(data=data)
    if not serializer.is_valid():
        return serializer.errors
    ebook_request(
        email=serializer.validated_data["email"],
        first_name=serializer.validated_data["first_name"],
    )
    return {}


SIGNUPS = {
    "newsletter": (
        _newsletter,
        ("email",),
        gettext_lazy(
            "Thank you. Please check your inbox and click the link in our email "
            "to confirm your subscription."
        ),
    ),
    "ebook": (
        _ebook,
        ("first_name", "email"),
        gettext_lazy("Thank you. We have emailed you a link to download the e-book."),
    ),
}


def throttled_response(request: HttpRequest) -> HttpResponse | None:
    """The API's shared public-POST budget applied to page forms: a 429 page once spent."""
    throttle = PublicPostThrottle()
    if throttle.allow_request(request, None):
        return None
    wait = int(throttle.wait() or 60)
    response = render(request, "throttled.html", {"wait_seconds": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


def render_page(
    request: HttpRequest,
    template_name: str,
    context: dict,
    *,
    widget: dict,
) -> HttpResponse:
    """Render a content page; on POST, handle its newsletter or e-book form first.

    A valid sign-up redirects back to the page (so a reload cannot send it twice) and the
    confirmation shows next to the form; invalid input re-renders the page with 400, the
    field errors next to their fields and the typed values kept.
    """
    signup = {name: SignupForm() for name in SIGNUPS}
    status = 200
    if request.method == "POST":
        throttled = throttled_response(request)
        if throttled is not None:
            return throttled
        kind = request.POST.get("form")
        if kind not in SIGNUPS:
            status = 400
            signup["newsletter"].errors = {
                "non_field_errors": [gettext("That form could not be read. Please try again.")]
            }
        else:
            handler, field_names, confirmation = SIGNUPS[kind]
            errors = handler(request.POST)
            if not errors:
                messages.success(request, confirmation, extra_tags=kind)
                return redirect(f"{request.path}#{kind}")
            status = 400
            signup[kind].errors = errors
            signup[kind].values = {name: clean_text(request.POST.get(name)) for name in field_names}
    for message in messages.get_messages(request):
        if message.extra_tags in signup:
            signup[message.extra_tags].confirmed = message.message
    return render(
        request, template_name, {**context, "widget": widget, "signup": signup}, status=status
    )


class ProviderAnswerForm(forms.Form):
    """A specialist's one-click answer on their lead page; a reason only with can't help."""

    outcome = forms.ChoiceField(choices=LeadMatch.Outcome.choices)
    reason = forms.ChoiceField(choices=LeadMatch.Reason.choices, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == LeadMatch.Outcome.CANT_HELP and not cleaned.get("reason"):
            self.add_error("reason", "Please say why you can't help.")
        return cleaned
