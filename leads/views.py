"""Pages a patient or subscriber lands on: the thank-you page after a lead, newsletter
confirm and unsubscribe, and the e-book download."""

import uuid
from pathlib import Path

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from . import ebook, newsletter
from .selectors import lead_with_matches
from .tokens import (
    TokenExpired,
    TokenInvalid,
    ebook_request_from_token,
    subscriber_from_confirm_token,
    subscriber_from_unsubscribe_token,
)

EBOOK_FILE = Path(__file__).resolve().parent / "ebook" / "life-after-back-surgery.html"
EBOOK_DOWNLOAD_NAME = "life-after-back-surgery.html"


def _link_problem(request, *, expired: bool, what: str):
    """400 for a link we did not make, 410 for one of ours that is too old."""
    return render(
        request,
        "leads/link_problem.html",
        {"expired": expired, "what": what},
        status=410 if expired else 400,
    )


@never_cache
@require_GET
def lead_thanks(request, lead_id: uuid.UUID):
    """Names the matched specialists and what happens next. The UUID in the address is
    unguessable, yet the page shows no personal data at all: addresses get shared and
    browsers sync history."""
    lead = lead_with_matches(lead_id=lead_id)
    if lead is None:
        raise Http404("No such request.")
    return render(request, "leads/thanks.html", {"lead": lead, "matches": list(lead.matches.all())})


@never_cache
@require_GET
def lead_received(request):
    """The generic thank-you a form post lands on when it cannot name a lead (honeypot)."""
    return render(request, "leads/received.html")


@never_cache
@require_GET
def newsletter_confirm(request, token: str):
    try:
        subscriber = subscriber_from_confirm_token(token)
    except TokenExpired:
        return _link_problem(request, expired=True, what="confirmation")
    except TokenInvalid:
        return _link_problem(request, expired=False, what="confirmation")
    newsletter.newsletter_confirm(subscriber=subscriber)
    return render(request, "leads/newsletter_confirmed.html")


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def newsletter_unsubscribe(request, token: str):
    """One click, no login. GET (the link in the email) unsubscribes and says so; POST is
    RFC 8058 one-click from the mail client's ``List-Unsubscribe-Post`` (which carries no
    CSRF token, hence the exemption; the signed token is the authorisation). Both are
    idempotent."""
    try:
        subscriber = subscriber_from_unsubscribe_token(token)
    except (TokenExpired, TokenInvalid):
        return _link_problem(request, expired=False, what="unsubscribe")
    newsletter.newsletter_unsubscribe(subscriber=subscriber)
    if request.method == "POST":
        return HttpResponse("Unsubscribed.\n", content_type="text/plain; charset=utf-8")
    return render(request, "leads/newsletter_unsubscribed.html")


@never_cache
@require_GET
def ebook_download(request, token: str):
    try:
        ebook_request = ebook_request_from_token(token)
    except TokenExpired:
        return _link_problem(request, expired=True, what="download")
    except TokenInvalid:
        return _link_problem(request, expired=False, what="download")
    ebook.ebook_downloaded(ebook_request=ebook_request)
    return FileResponse(
        EBOOK_FILE.open("rb"),
        as_attachment=True,
        filename=EBOOK_DOWNLOAD_NAME,
        content_type="text/html; charset=utf-8",
    )
