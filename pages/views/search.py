"""The search pages: the home page's ZIP form and /find/, the results and the step 2 form.

/find/ parses its query with the API's ``MatchQuerySerializer`` and posts leads through
``LeadInputSerializer`` and ``lead_submit``, so a browser without JavaScript gets exactly
the API's rules and messages, shown next to the fields they concern.
"""

import math
from dataclasses import replace

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.http import client_ip
from leads.apis import LeadInputSerializer
from leads.consent import CONSENT_TEXT
from leads.models import TRACKING_FIELDS, TRACKING_MAX_LENGTH
from leads.receipts import lead_receipt_add, lead_receipt_ids
from leads.services import honeypot_filled, lead_submit
from matcher.apis import MatchQuerySerializer
from matcher.query import DEFAULT_RADIUS
from matcher.selectors import institute_nearest, specialist_nearest, specialist_nearest_beyond
from matcher.signals import search_performed
from specialists.models import Condition, Treatment

from ..forms import (
    RADIUS_CHOICES,
    clean_text,
    render_page,
    throttled_response,
    tracking_values,
    widget_context,
)
from ..selectors import directory_summary

RESULTS_SHOWN = 10
INSTITUTES_SHOWN = 5
SEARCH_FIELDS = ("zip", "treatment", "radius")
LEAD_VISIBLE_FIELDS = ("first_name", "last_name", "email", "phone", "message")
FBSS_SLUG = "failed-back-surgery-syndrome"


@require_http_methods(["GET", "HEAD", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "treatments": Treatment.objects.all(),
        "summary": directory_summary(),
        "fbss": Condition.objects.filter(slug=FBSS_SLUG).first(),
        "other_conditions": Condition.objects.exclude(slug=FBSS_SLUG),
    }
    return render_page(request, "pages/home.html", context, widget=widget_context(request))


def _shown_radius(value) -> int:
    """The radius to pre-select in the form: the one searched, as a whole number of miles."""
    return int(value) if float(value).is_integer() else math.ceil(value)


def _widen_radius(distance: float) -> int | None:
    """The smallest offered radius that reaches ``distance``; None beyond the maximum."""
    for choice in RADIUS_CHOICES:
        if choice >= distance:
            return choice
    return None


def _search(params) -> tuple[dict, dict]:
    """Run the search for ``params``; returns (search context, field errors)."""
    parsed = MatchQuerySerializer(
        data={name: params[name] for name in SEARCH_FIELDS if name in params}
    )
    if not parsed.is_valid():
        return {}, parsed.errors
    # The page always shows miles and its own number of cards, whatever the query says.
    query = replace(parsed.validated_data, unit="mi", limit=RESULTS_SHOWN)
    results = specialist_nearest(query)
    beyond = widen_to = None
    if not results:
        beyond = specialist_nearest_beyond(query)
        widen_to = beyond and _widen_radius(beyond.distance)
    institutes = institute_nearest(query.with_limit(INSTITUTES_SHOWN))
    return {
        "origin": query.origin,
        "treatment": query.treatment,
        "radius": _shown_radius(query.radius),
        "results": results,
        "institutes": institutes,
        "beyond": beyond,
        "widen_to": widen_to,
    }, {}


def _lead_form(request, *, search: dict, values: dict | None = None, errors=None) -> dict:
    values = values or {}
    errors = errors or {}
    tracking = {
        name: values.get(name) or tracking_values(request).get(name, "") for name in TRACKING_FIELDS
    }
    return {
        "zip": search["origin"].zip,
        "treatment": search["treatment"].slug if search["treatment"] else "",
        "values": {name: values.get(name, "") for name in LEAD_VISIBLE_FIELDS},
        "consent": bool(values.get("consent")),
        "tracking": {name: value for name, value in tracking.items() if value},
        "errors": errors,
        "other_errors": [
            message
            for name, messages in errors.items()
            if name not in (*LEAD_VISIBLE_FIELDS, "consent")
            for message in messages
        ],
        "consent_text": CONSENT_TEXT,
    }


def _render_find(request, *, params: dict, search: dict, errors: dict, lead_form, status):
    widget = widget_context(
        request,
        zip=clean_text(params.get("zip"), max_length=20),
        treatment=clean_text(params.get("treatment"), max_length=80),
        errors=errors,
        radius=search.get("radius", DEFAULT_RADIUS),
        heading="Search again" if search else "Find a spine specialist close to home",
    )
    context = {"search": search, "widget": widget, "lead_form": lead_form}
    return render(request, "pages/find.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def find(request: HttpRequest) -> HttpResponse:
    """GET: step 1, the nearest specialists and institutes. POST: step 2, the lead."""
    if request.method == "POST":
        return _lead_post(request)
    params = request.GET
    if "zip" not in params:
        return _render_find(
            request, params=params, search={}, errors={}, lead_form=None, status=200
        )
    search, errors = _search(params)
    if search and request.method == "GET":
        search_performed.send(
            sender=find,
            treatment=search["treatment"],
            utm_source=tracking_values(request).get("utm_source"),
        )
    lead_form = _lead_form(request, search=search) if search else None
    return _render_find(
        request,
        params=params,
        search=search,
        errors=errors,
        lead_form=lead_form,
        status=400 if errors else 200,
    )


def _lead_post(request: HttpRequest) -> HttpResponse:
    throttled = throttled_response(request)
    if throttled is not None:
        return throttled
    if honeypot_filled(request.POST):
        # Answered like a success so a bot learns nothing; nothing is stored.
        return redirect("lead-received")
    data = request.POST.copy()
    # Hidden campaign fields came from a URL the patient cannot see or fix: bound them here
    # rather than fail the request over them.
    for name in TRACKING_FIELDS:
        data[name] = clean_text(data.get(name, ""), max_length=TRACKING_MAX_LENGTH[name])
    lead = LeadInputSerializer(data=data)
    if lead.is_valid():
        submission = lead_submit(
            data=lead.validated_data,
            client_ip=client_ip(request),
            submitted_ids=lead_receipt_ids(request),
        )
        response = redirect(submission.lead.get_absolute_url())
        if submission.created:
            lead_receipt_add(response, request=request, lead_id=submission.lead.id)
        return response
    search, search_errors = _search(request.POST)
    values = {name: clean_text(data.get(name, ""), max_length=2000) for name in data}
    lead_form = (
        _lead_form(request, search=search, values=values, errors=lead.errors) if search else None
    )
    return _render_find(
        request,
        params=request.POST,
        search=search,
        errors=search_errors,
        lead_form=lead_form,
        status=400,
    )
