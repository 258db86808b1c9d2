"""Pages a patient or subscriber lands on: the thank-you page after a lead, newsletter
confirm and unsubscribe, and the e-book download."""

import functools
import uuid
from collections.abc import Callable

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from core.signed_links import TokenExpired, TokenInvalid
from leads import newsletter
from leads.ebook import EBOOK_FILES, ebook_downloaded
from leads.models import ROUTING_RADIUS_MILES
from leads.receipts import lead_receipt_ids
from leads.selectors import lead_with_matches
from leads.tokens import (
    ebook_request_from_token,
    subscriber_from_confirm_token,
    subscriber_from_unsubscribe_token,
)


def signed_link(resolve: Callable, *, what: str):
    """Give the view the row its signed token names, or answer the link problem page:
    400 for a link we did not make, 410 for one of ours that is too old."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, token: str):
            try:
                row = resolve(token)
            except (TokenExpired, TokenInvalid) as problem:
                expired = isinstance(problem, TokenExpired)
                return render(
                    request,
                    "pages/link_problem.html",
                    {"expired": expired, "what": what},
                    status=410 if expired else 400,
                )
            return view(request, row)

        return wrapper

    return decorator


@never_cache
@require_GET
def lead_thanks(request, lead_id: uuid.UUID):
    """Names the matched specialists and what happens next, to the browser that sent the
    request (its lead receipt cookie); anyone else holding the address gets the generic
    thank-you, since the ZIP, treatment and specialists say something about a person.
    Neither version shows a name, email, phone or message."""
    lead = lead_with_matches(lead_id=lead_id)
    if lead is None:
        raise Http404("No such request.")
    if lead.id not in lead_receipt_ids(request):
        return render(request, "pages/received.html")
    context = {
        "lead": lead,
        "matches": list(lead.matches.all()),
        "routing_radius": ROUTING_RADIUS_MILES,
    }
    return render(request, "pages/thanks.html", context)


@never_cache
@require_GET
def lead_received(request):
    """The generic thank-you a form post lands on when it cannot name a lead (honeypot)."""
    return render(request, "pages/received.html")


@never_cache
@require_GET
@signed_link(subscriber_from_confirm_token, what="confirmation")
def newsletter_confirm(request, subscriber):
    newsletter.newsletter_confirm(subscriber=subscriber)
    return render(request, "pages/newsletter_confirmed.html")


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
@signed_link(subscriber_from_unsubscribe_token, what="unsubscribe")
def newsletter_unsubscribe(request, subscriber):
    """One click, no login. GET (the link in the email) unsubscribes and says so; POST is
    RFC 8058 one-click from the mail client's ``List-Unsubscribe-Post`` (which carries no
    CSRF token, hence the exemption; the signed token is the authorisation). Both are
    idempotent. Unsubscribe tokens never expire."""
    newsletter.newsletter_unsubscribe(subscriber=subscriber)
    if request.method == "POST":
        return HttpResponse("Unsubscribed.\n", content_type="text/plain; charset=utf-8")
    return render(request, "pages/newsletter_unsubscribed.html")


@never_cache
@require_GET
@signed_link(ebook_request_from_token, what="download")
def ebook_download(request, ebook_request):
    """The guide in the language it was asked for."""
    ebook_downloaded(ebook_request=ebook_request)
    guide = EBOOK_FILES[ebook_request.language]
    return FileResponse(
        guide.open("rb"),
        as_attachment=True,
        filename=guide.name,
        content_type="text/html; charset=utf-8",
    )
