"""The search pages: the home page's ZIP form and /find/, the results and the step 2 form.

/find/ parses its query with the API's ``MatchQuerySerializer`` (also taking a city for the
``zip`` field) and posts leads through ``LeadInputSerializer`` and ``lead_submit``, so a
browser without JavaScript gets exactly the API's rules and messages, shown next to the
fields they concern.
"""

import math
import re
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, gettext_lazy
from django.views.decorators.http import require_http_methods

from core.csrf import csrf_token
from core.http import client_ip
from core.middleware import sessionless
from core.text import joined_with_and
from geo.gazetteer import PlaceError, nearest_zip_place
from leads.apis import LeadInputSerializer
from leads.consent import CONSENT_TEXT, consent_chosen_parts
from leads.models import MAX_CHOSEN_SPECIALISTS, TRACKING_FIELDS, TRACKING_MAX_LENGTH
from leads.receipts import lead_receipt_add, lead_receipt_ids
from leads.selectors import specialists_choosable
from leads.services import honeypot_filled, lead_submit
from matcher.apis import MatchQuerySerializer, match_query_fast
from matcher.index import SORT_DISTANCE, SORT_NAME, pinned_snapshot
from matcher.query import DEFAULT_RADIUS, MAX_OFFSET
from matcher.selectors import (
    SpecialistListing,
    institute_nearest_counted,
    search_choices,
    specialist_search_listings,
)
from matcher.signals import search_performed
from specialists.facts import GENDER_WORDS, LANGUAGES, Gender, SpecialtyGroup
from specialists.models import Condition, Treatment

from ..context_processors import language_links
from ..forms import (
    RADIUS_CHOICES,
    clean_text,
    render_page,
    throttled_response,
    tracking_values,
    widget_context,
)
from ..frames import as_text, frame_render, slot
from ..listings import CardWriter, Listing, card_html, card_writer, institute_url
from ..maps import results_map
from ..selectors import directory_summary

RESULTS_SHOWN = 10
INSTITUTES_SHOWN = 5
FILTER_FIELDS = ("accepting", "telehealth", "language", "gender", "insurance", "specialty")
SEARCH_FIELDS = ("zip", "treatment", "radius", *FILTER_FIELDS, "sort")
# Step 2 ticks this many of the nearest specialists accepting new patients for the patient.
PRESELECTED = 3
MAX_PAGE = MAX_OFFSET // RESULTS_SHOWN + 1
PLACE_MAX_LENGTH = 80
LEAD_VISIBLE_FIELDS = ("first_name", "last_name", "email", "phone", "message")
# What a patient may type into the message, echoed back with the error when it is too long.
MESSAGE_ECHO_MAX_LENGTH = 20_000
FBSS_SLUG = "failed-back-surgery-syndrome"
_NEAR = re.compile(r"\s*(-?\d{1,2}(?:\.\d{1,6})?)\s*,\s*(-?\d{1,3}(?:\.\d{1,6})?)\s*", re.ASCII)
SORT_LABELS = {SORT_DISTANCE: gettext_lazy("Nearest first"), SORT_NAME: gettext_lazy("Name, A–Z")}


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


def _page_number(raw) -> tuple[int, str | None]:
    """The results page asked for (1 when absent) and the problem with it, if any."""
    if raw in (None, ""):
        return 1, None
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 6) or not 1 <= int(text) <= MAX_PAGE:
        return 1, gettext("Enter a page number from 1 to %(last)d.") % {"last": MAX_PAGE}
    return int(text), None


@dataclass(frozen=True)
class Numbered:
    """A result and its number on the page, the map's marker and step 2's list; ``html``
    its card."""

    number: int | None
    specialist: object
    distance: float
    html: SafeString


def _numbered(found: SpecialistListing, number: int | None, writer: CardWriter) -> Numbered:
    html = mark_safe(card_html(found, distance=found.distance, number=number, writer=writer))
    return Numbered(number, Listing(found.card), found.distance, html)


def _search(params, request: HttpRequest) -> tuple[dict, dict]:
    """Run the search for ``params``; returns (search context, field errors)."""
    page, page_error = _page_number(params.get("page"))
    data = {name: params[name] for name in SEARCH_FIELDS if name in params}
    # The API's plain-parameter parse when it applies (it gives the serializer's query),
    # since the serializer costs a tenth of the page; the serializer for everything else.
    asked = None if page_error else match_query_fast(data)
    if asked is None:
        parsed = MatchQuerySerializer(data=data, context={"places": True})
        errors = {} if parsed.is_valid() else dict(parsed.errors)
        if page_error:
            errors["page"] = [page_error]
        if errors:
            return {}, errors
        asked = parsed.validated_data
    # The page always shows miles and its own number of cards, whatever the query says.
    query = replace(
        asked,
        unit="mi",
        limit=RESULTS_SHOWN,
        offset=(page - 1) * RESULTS_SHOWN,
    )
    found, total = specialist_search_listings(query)
    writer = card_writer()
    results = [
        _numbered(listing, query.offset + position, writer)
        for position, listing in enumerate(found, start=1)
    ]
    beyond = widen_to = None
    if not total:
        nearest, _ = specialist_search_listings(query.unbounded(), count=False)
        beyond = _numbered(nearest[0], None, writer) if nearest else None
        widen_to = beyond and _widen_radius(beyond.distance)
    link_params = _link_params(params, request)
    page_count = max(1, math.ceil(total / RESULTS_SHOWN))
    past_the_end = page > 1 and not results and total > 0
    by_city = any(ch.isalpha() for ch in str(params.get("zip", "")))
    town = f"{query.origin.city}, {query.origin.state}"
    return {
        "query": query,
        "origin": query.origin,
        "treatment": query.treatment,
        "radius": _shown_radius(query.radius),
        # The place as the patient gave it (the title's) and with its town (the heading's).
        "searched_place": town if by_city else query.origin.zip,
        "heading_place": town if by_city else f"{town} {query.origin.zip}",
        "results": results,
        "total": total,
        "total_shown": intcomma(total),
        "page": page,
        "page_count": page_count,
        "first_number": query.offset + 1,
        "last_number": query.offset + len(results),
        "pager": _pager(link_params, page, page_count) if total > RESULTS_SHOWN else None,
        "past_the_end": past_the_end,
        "last_page_url": _find_url(link_params, page=page_count) if past_the_end else "",
        "filters": _filters_summary(query),
        "clear_filters_url": _find_url(
            {k: v for k, v in link_params.items() if k not in FILTER_FIELDS}
        ),
        "map": results_map(
            origin=query.origin,
            radius_miles=query.radius,
            results=[(entry.number, entry.specialist) for entry in results],
        )
        if results
        else None,
        # Each institute's list item, written by the card writer (its words and numbers).
        "institutes": [
            mark_safe(
                writer.institute_item(
                    match.institute,
                    url=institute_url(match.institute.slug, language=writer.language),
                    distance=match.distance,
                    count=match.specialist_count,
                    treatment=query.treatment,
                )
            )
            for match in institute_nearest_counted(
                replace(query, limit=INSTITUTES_SHOWN, offset=0, sort=SORT_DISTANCE)
            )
        ],
        "beyond": beyond,
        "widen_to": widen_to,
    }, {}


def _link_params(params, request: HttpRequest) -> dict[str, str]:
    """The search as the patient gave it (their own words for the place), with the campaign
    tags, for links to other pages of the same results."""
    kept = {}
    for name in SEARCH_FIELDS:
        value = clean_text(params.get(name), max_length=PLACE_MAX_LENGTH)
        if value:
            kept[name] = value
    return {**kept, **{k: v for k, v in tracking_values(request).items() if k != "referrer"}}


_find_paths: dict[str, str] = {}


def _find_url(link_params: dict, *, page: int = 1, fragment: str = "") -> str:
    query = dict(link_params)
    if page > 1:
        query["page"] = str(page)
    language = get_language()
    path = _find_paths.get(language)
    if path is None:
        # reverse() costs more than the rest of a link; a page has a dozen of them.
        path = _find_paths[language] = reverse("find")
    return f"{path}?{urlencode(query)}{fragment}"


def _pager(link_params: dict, page: int, page_count: int) -> dict:
    """Previous and next, and the page numbers around this one (first and last always)."""
    # Each link is the first page's with its number after the search (as _find_url puts
    # it), the search encoded once.
    first = _find_url(link_params)
    joiner = "&" if link_params else ""

    def url(number: int) -> str:
        return first if number == 1 else f"{first}{joiner}page={number}"

    shown = sorted({1, page_count, *range(max(1, page - 2), min(page_count, page + 2) + 1)})
    numbers, previous = [], 0
    for number in shown:
        if number > previous + 1:
            numbers.append(None)  # a gap
        numbers.append({"number": number, "url": url(number)})
        previous = number
    pager = {
        "previous": url(page - 1) if page > 1 else None,
        "next": url(page + 1) if page < page_count else None,
        "numbers": numbers,
    }
    return {**pager, "html": _pager_html(pager, page)}


# Per language: a page number's label, as the pager prints it.
_page_labels: dict[tuple[str, int], str] = {}


def _page_label(number: int) -> str:
    key = (get_language(), number)
    label = _page_labels.get(key)
    if label is None:
        label = _page_labels[key] = gettext(
            '<span class="visually-hidden">Page </span>%(number)s'
        ) % {"number": escape(str(localize(number)))}
    return label


def _pager_html(pager: dict, page: int) -> SafeString:
    """The pager's navigation (a Django template took a tenth of the page's rendering)."""
    items = []
    for item in pager["numbers"]:
        if item is None:
            items.append('<li aria-hidden="true">…</li>')
            continue
        label = _page_label(item["number"])
        if item["number"] == page:
            items.append(f'<li><span aria-current="page">{label}</span></li>')
        else:
            items.append(f'<li><a href="{escape(item["url"])}">{label}</a></li>')
    previous = (
        f'<a class="button secondary" href="{escape(pager["previous"])}" rel="prev">'
        f"{gettext('Previous')}</a>"
        if pager["previous"]
        else ""
    )
    following = (
        f'<a class="button secondary" href="{escape(pager["next"])}" rel="next">'
        f"{gettext('Next')}</a>"
        if pager["next"]
        else ""
    )
    return mark_safe(
        f'<nav class="pager" aria-label="{gettext("Result pages")}">\n  {previous}\n'
        f'  <ul class="pages">\n    {"".join(items)}\n  </ul>\n  {following}\n</nav>\n'
    )


def _filters_summary(query) -> list[str]:
    """The facts the search narrows to, as the patient reads them."""
    summary = []
    if query.accepting:
        summary.append(gettext("Accepting new patients"))
    if query.language:
        summary.append(gettext("Speaks %(language)s") % {"language": LANGUAGES[query.language]})
    if query.insurance:
        summary.append(gettext("Takes %(plan)s") % {"plan": query.insurance.local_name})
    if query.telehealth:
        summary.append(gettext("Offers telehealth visits"))
    if query.gender:
        summary.append(str(Gender(query.gender).label))
    if query.specialty:
        summary.append(str(SpecialtyGroup(query.specialty).label))
    return summary


def _filter_controls(params) -> dict:
    """The widget's filter and sort controls: what each offers and what is selected.

    What each control offers is a function, which the template calls: its part of the page
    is kept per sort, selection and errors (``{% memo %}``), so most searches never read
    it, and building it cost a twentieth of the page."""
    selected = {name: clean_text(params.get(name), max_length=80) for name in FILTER_FIELDS}
    selected["language"] = selected["language"].lower()

    def checks() -> list[dict]:
        return [
            {"name": name, "label": label, "checked": selected[name] == "true"}
            for name, label in (
                ("accepting", gettext("Accepting new patients")),
                ("telehealth", gettext("Offers telehealth visits")),
            )
        ]

    def selects() -> list[dict]:
        choices = search_choices()
        languages = set(choices["languages"])
        if selected["language"] in LANGUAGES:
            languages.add(selected["language"])
        return [
            {
                "name": "language",
                "label": gettext("Language spoken"),
                "any": gettext("Any language"),
                "choices": sorted(
                    ((code, str(LANGUAGES[code])) for code in languages), key=lambda c: c[1]
                ),
            },
            {
                "name": "insurance",
                "label": gettext("Insurance accepted"),
                "any": gettext("Any insurance"),
                "choices": [(plan.slug, plan.local_name) for plan in choices["insurance"]],
            },
            {
                "name": "specialty",
                "label": gettext("Kind of specialist"),
                "any": gettext("Any kind"),
                "choices": SpecialtyGroup.choices,
            },
            {
                "name": "gender",
                "label": gettext("Specialist's gender"),
                "any": gettext("No preference"),
                "choices": [(word, Gender(code).label) for word, code in GENDER_WORDS.items()],
            },
        ]

    return {
        "fields": (*FILTER_FIELDS, "sort"),
        "sort": clean_text(params.get("sort"), max_length=20) or SORT_DISTANCE,
        "sorts": list(SORT_LABELS.items()),
        "checks": checks,
        "selects": selects,
        "selected": selected,
        "active": sum(bool(selected[name]) and selected[name] != "false" for name in FILTER_FIELDS),
    }


def _chosen_from_link(params, search: dict) -> tuple[object | None, dict]:
    """The specialist a profile's "Request an appointment" link names (``specialist``), if
    they can still be chosen; a notice when they cannot, an error when the value is not an
    id at all."""
    raw = clean_text(params.get("specialist"), max_length=20)
    if not raw:
        return None, {}
    if not (raw.isascii() and raw.isdigit()):
        return None, {"specialist": [gettext("That link names no specialist.")]}
    found = specialists_choosable(ids=[int(raw)], treatment=search["treatment"]).get(int(raw))
    if found is None or not found.accepting_new_patients:
        search["chosen_unavailable"] = found or True
        return None, {}
    return found, {}


def _chooser(search: dict, *, chosen=None, ticked: list[int] | None = None) -> list[dict]:
    """Step 2's list: the specialist the patient came to ask (first), then those on this
    page accepting new patients. Ticked: what the patient ticked (after a failed post),
    else the one they came for, else the nearest PRESELECTED."""
    options = []
    if chosen is not None:
        options.append({"specialist": chosen, "distance": None})
    seen = {chosen.pk} if chosen is not None else set()
    by_distance = sorted(search["results"], key=lambda entry: entry.distance)
    for entry in by_distance:
        if entry.specialist.accepting_new_patients and entry.specialist.pk not in seen:
            options.append({"specialist": entry.specialist, "distance": entry.distance})
            seen.add(entry.specialist.pk)
    if ticked is not None:
        tick = set(ticked)
    elif chosen is not None:
        tick = {chosen.pk}
    else:
        tick = {option["specialist"].pk for option in options[:PRESELECTED]}
    writer = card_writer()
    for option in options:
        option["checked"] = option["specialist"].pk in tick
        option["html"] = mark_safe(
            writer.chooser_option(
                option["specialist"], distance=option["distance"], checked=option["checked"]
            )
        )
    return options


def _lead_form(
    request, *, search: dict, values=None, errors=None, chosen=None, ticked=None
) -> dict:
    values = values or {}
    errors = errors or {}
    tracked = tracking_values(request)
    tracking = {name: values.get(name) or tracked.get(name, "") for name in TRACKING_FIELDS}
    chooser = _chooser(search, chosen=chosen, ticked=ticked)
    names = [option["specialist"].display_name for option in chooser if option["checked"]]
    before, after = consent_chosen_parts()
    hidden_search = {
        name: clean_text(values.get(name) or request.GET.get(name), max_length=80)
        for name in (*FILTER_FIELDS, "radius", "sort", "page")
    }
    return {
        "zip": search["origin"].zip,
        "treatment": search["treatment"].slug if search["treatment"] else "",
        "search": {name: value for name, value in hidden_search.items() if value},
        "values": {name: values.get(name, "") for name in LEAD_VISIBLE_FIELDS},
        "consent": bool(values.get("consent")),
        "tracking": {name: value for name, value in tracking.items() if value},
        "errors": errors,
        "other_errors": [
            message
            for name, messages in errors.items()
            if name not in (*LEAD_VISIBLE_FIELDS, "consent", "specialists")
            for message in messages
        ],
        "chooser": chooser,
        "max_chosen": MAX_CHOSEN_SPECIALISTS,
        "consent_text": CONSENT_TEXT,
        "consent_before": before,
        "consent_after": after,
        "consent_names": joined_with_and(names),
    }


def _render_find(request, *, params, search: dict, errors: dict, lead_form, status):
    widget = widget_context(
        request,
        zip=clean_text(params.get("zip"), max_length=PLACE_MAX_LENGTH),
        treatment=clean_text(params.get("treatment"), max_length=80),
        errors=errors,
        radius=search.get("radius", DEFAULT_RADIUS),
        heading=gettext("Change your search") if search else "",
        filters=_filter_controls(params),
    )
    context = {"search": search, "widget": widget, "lead_form": lead_form}
    if search.get("results") and not errors and lead_form and not lead_form["errors"]:
        return HttpResponse(_results_page(request, context), status=status)
    return render(request, "pages/find.html", context, status=status)


def _results_page(request, context: dict) -> str:
    """A page of results, no problem to show: find.html from its frame (``pages.frames``),
    which holds the page's layout; the values below, which differ from search to search,
    are filled in, written as the template writes them."""
    search, widget, lead_form = context["search"], context["widget"], context["lead_form"]
    links = language_links(request)
    fill = {
        "searched_place": as_text(search["searched_place"]),
        "heading_place": as_text(search["heading_place"]),
        "total_shown": as_text(search["total_shown"]),
        "first_number": as_text(search["first_number"]),
        "last_number": as_text(search["last_number"]),
        "clear_filters_url": as_text(search["clear_filters_url"]),
        "results": "".join(entry.html for entry in search["results"]),
        "map": search["map"].html if search["map"] else "",
        "pager": search["pager"]["html"] if search["pager"] else "",
        "institutes": "".join(search["institutes"]),
        "zip": as_text(widget["zip"]),
        "lead_zip": as_text(lead_form["zip"]),
        "chooser": "".join(option["html"] for option in lead_form["chooser"]),
        "consent_names": as_text(lead_form["consent_names"]),
        "csrf_token": as_text(csrf_token(request)),
        "scheme": as_text(request.scheme),
        "host": as_text(request.get_host()),
        "path": as_text(request.path),
    }
    for n, link in enumerate(links["alternates"]):
        fill[f"alternate_{n}"] = as_text(link["url"])
    for n, link in enumerate(links["switch"]):
        fill[f"switch_{n}"] = as_text(link["url"])
    # What the template tests, counts or filters keeps its real value (the frame's shape);
    # the rest is a slot. The total decides only between singular and plural there.
    shaped_search = {
        "query": {"sort": search["query"].sort},
        "treatment": search["treatment"],
        "radius": search["radius"],
        "searched_place": slot("searched_place"),
        "heading_place": slot("heading_place"),
        "results": [{"html": slot("results")}],
        "total": 1 if search["total"] == 1 else 2,
        "total_shown": slot("total_shown"),
        "page": search["page"],
        "first_number": slot("first_number"),
        "last_number": slot("last_number"),
        "pager": {"html": slot("pager")} if search["pager"] else None,
        "filters": search["filters"],
        "clear_filters_url": slot("clear_filters_url"),
        "map": {"html": slot("map")} if search["map"] else None,
        "institutes": [slot("institutes")] if search["institutes"] else [],
        "chosen_unavailable": bool(search.get("chosen_unavailable")),
    }
    shaped = {
        "search": shaped_search,
        # The filter controls' choices (functions in the shape) follow from what is selected.
        "widget": {**widget, "zip": slot("zip")},
        "lead_form": {
            **lead_form,
            "zip": slot("lead_zip"),
            "chooser": [{"html": slot("chooser")}] if lead_form["chooser"] else [],
            "consent_names": slot("consent_names") if lead_form["consent_names"] else "",
        },
        "csrf_token": slot("csrf_token"),
        "request": {"scheme": slot("scheme"), "get_host": slot("host"), "path": slot("path")},
        "language_links": {
            "alternates": [
                {"hreflang": link["hreflang"], "url": slot(f"alternate_{n}")}
                for n, link in enumerate(links["alternates"])
            ],
            "switch": [
                {"code": link["code"], "name": link["name"], "url": slot(f"switch_{n}")}
                for n, link in enumerate(links["switch"])
            ],
        },
    }
    return frame_render(request, "pages/find.html", context=shaped, fill=fill)


def _near_redirect(request: HttpRequest) -> HttpResponse | None:
    """ "Use my location": the browser sends ``near=latitude,longitude``; the search goes on
    from the nearest ZIP, and the address bar keeps that ZIP, never the coordinates."""
    match = _NEAR.fullmatch(request.GET.get("near", ""))
    latitude, longitude = (float(match.group(1)), float(match.group(2))) if match else (0, 999)
    if abs(latitude) > 90 or abs(longitude) > 180:
        problem = [gettext("We could not read your location. Enter your ZIP code instead.")]
    else:
        try:
            place = nearest_zip_place(latitude, longitude)
        except PlaceError as error:
            problem = error.messages
        else:
            query = {k: v for k, v in request.GET.items() if k not in ("near", "zip", "page")}
            return redirect(f"{reverse('find')}?{urlencode({'zip': place.zip, **query})}")
    return _render_find(
        request,
        params=request.GET,
        search={},
        errors={"zip": problem},
        lead_form=None,
        status=400,
    )


@sessionless
@require_http_methods(["GET", "HEAD", "POST"])
def find(request: HttpRequest) -> HttpResponse:
    """GET: step 1, the nearest specialists and institutes. POST: step 2, the lead."""
    with pinned_snapshot():
        if request.method == "POST":
            return _lead_post(request)
        return _find_get(request)


def _find_get(request: HttpRequest) -> HttpResponse:
    params = request.GET
    if "near" in params and not params.get("zip"):
        return _near_redirect(request)
    if "zip" not in params:
        return _render_find(
            request, params=params, search={}, errors={}, lead_form=None, status=200
        )
    search, errors = _search(params, request)
    lead_form = None
    if search:
        chosen, link_errors = _chosen_from_link(params, search)
        errors.update(link_errors)
        if request.method == "GET":
            search_performed.send(
                sender=find,
                treatment=search["treatment"],
                utm_source=tracking_values(request).get("utm_source"),
            )
        lead_form = _lead_form(request, search=search, chosen=chosen)
    return _render_find(
        request,
        params=params,
        search=search if search else {},
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
    search, search_errors = _search(request.POST, request)
    values = {
        name: clean_text(
            data.get(name, ""),
            max_length=MESSAGE_ECHO_MAX_LENGTH if name == "message" else 2000,
            multiline=name == "message",
        )
        for name in data
    }
    lead_form = None
    if search:
        ticked = [int(v) for v in data.getlist("specialists") if v.isascii() and v.isdigit()]
        chosen = _ticked_beyond_the_page(ticked, search)
        lead_form = _lead_form(
            request, search=search, values=values, errors=lead.errors, chosen=chosen, ticked=ticked
        )
    return _render_find(
        request,
        params=request.POST,
        search=search,
        errors=search_errors,
        lead_form=lead_form,
        status=400,
    )


def _ticked_beyond_the_page(ticked: list[int], search: dict):
    """A ticked specialist not among this page's results (the one a profile link chose),
    so the re-rendered list still shows them."""
    on_page = {entry.specialist.pk for entry in search["results"]}
    missing = [pk for pk in ticked if pk not in on_page]
    if not missing:
        return None
    found = specialists_choosable(ids=missing[:1], treatment=search["treatment"])
    return found.get(missing[0])
