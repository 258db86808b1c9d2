"""Content and profile pages: treatments, conditions, specialists, institutes."""

from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from geo.gazetteer import ZipCodeError, place_search
from specialists.facts import opening_hours_parse
from specialists.models import Condition, Institute, Specialist, Treatment

from ..forms import render_page, widget_context
from ..selectors import treatment_availability
from ..structured_data import (
    condition_json_ld,
    institute_json_ld,
    physician_json_ld,
    procedure_json_ld,
)
from ..templatetags.content import render_markdown


@require_http_methods(["GET", "HEAD", "POST"])
def treatment_detail(request, slug):
    treatment = get_object_or_404(Treatment, slug=slug)
    text = treatment.text
    context = {
        "treatment": treatment,
        "page": treatment,
        "section": gettext("Treatments"),
        "body": render_markdown(text.body),
        "availability": treatment_availability(treatment=treatment),
        "conditions": list(treatment.conditions.all()),
        "json_ld": procedure_json_ld(treatment, request=request),
    }
    return render_page(
        request,
        "pages/treatment_detail.html",
        context,
        widget=widget_context(
            request,
            treatment=treatment.slug,
            heading=gettext("Find a specialist who offers %(treatment)s")
            % {"treatment": text.name.lower()},
        ),
    )


@require_http_methods(["GET", "HEAD", "POST"])
def condition_detail(request, slug):
    condition = get_object_or_404(Condition, slug=slug)
    treatments = list(condition.treatments.all())
    context = {
        "condition": condition,
        "page": condition,
        "section": gettext("Conditions"),
        "body": render_markdown(condition.text.body),
        "treatments": treatments,
        "json_ld": condition_json_ld(condition, treatments=treatments, request=request),
    }
    return render_page(
        request, "pages/condition_detail.html", context, widget=widget_context(request)
    )


def _search_came_from(request: HttpRequest) -> dict[str, str]:
    """The /find/ search a patient followed a result from (this site's own Referer, sent
    for same-origin links): its ZIP and treatment, so a request from the profile keeps the
    patient's place rather than the practice's. Empty when there is none."""
    referer = urlsplit(request.META.get("HTTP_REFERER", ""))
    if referer.netloc != request.get_host() or referer.path != reverse("find"):
        return {}
    query = parse_qs(referer.query)
    try:
        place = place_search(query.get("zip", [""])[-1])
    except ZipCodeError:
        return {}
    found = {"zip": place.zip, "url": referer.path + "?" + referer.query}
    slug = query.get("treatment", [""])[-1]
    if Treatment.objects.filter(slug=slug).exists():
        found["treatment"] = slug
    return found


@require_http_methods(["GET", "HEAD", "POST"])
def specialist_detail(request, slug):
    specialist = get_object_or_404(Specialist.objects.with_profile(), slug=slug)
    if not specialist.active:
        raise Http404("No such specialist.")
    came_from = _search_came_from(request)
    request_query = {"zip": came_from.get("zip", specialist.zip)}
    if "treatment" in came_from:
        request_query["treatment"] = came_from["treatment"]
    if specialist.accepting_new_patients:
        request_query["specialist"] = specialist.pk
        request_url = f"{reverse('find')}?{urlencode(request_query)}#step-2"
    else:
        request_query["accepting"] = "true"
        request_url = f"{reverse('find')}?{urlencode(request_query)}"
    context = {
        "specialist": specialist,
        "certifications": specialist.current_certifications(),
        "json_ld": physician_json_ld(specialist, request=request),
        "request_url": request_url,
        "back_to_results": came_from.get("url"),
    }
    return render_page(
        request,
        "pages/specialist_detail.html",
        context,
        widget=widget_context(request),
    )


@require_http_methods(["GET", "HEAD", "POST"])
def institute_detail(request, slug):
    institute = get_object_or_404(Institute, slug=slug, active=True)
    specialists = list(Specialist.objects.filter(institute=institute, active=True).with_profile())
    opening_hours = _opening_hours(institute)
    context = {
        "institute": institute,
        "specialists": specialists,
        "opening_hours": opening_hours,
        "json_ld": institute_json_ld(
            institute, specialists=specialists, request=request, opening_hours=opening_hours
        ),
    }
    return render_page(
        request,
        "pages/institute_detail.html",
        context,
        widget=widget_context(request),
    )


def _opening_hours(institute: Institute) -> list:
    """The institute's hours as rules; none shown when rows written around the admin's
    validation hold something unreadable."""
    try:
        return opening_hours_parse(institute.opening_hours)
    except ValidationError:
        return []


@require_GET
def robots_txt(request):
    """Crawl the content; keep search results, lead pages and machine endpoints out."""
    sitemap_url = request.build_absolute_uri(reverse("sitemap-index"))
    private_pages = []
    for language, _ in settings.LANGUAGES:
        with translation.override(language):
            private_pages += [reverse("find"), reverse("lead-received")]
    lines = [
        "User-agent: *",
        "Allow: /",
        "Disallow: /admin/",
        "Disallow: /api/",
        *(f"Disallow: {path}" for path in private_pages),
        f"Sitemap: {sitemap_url}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
