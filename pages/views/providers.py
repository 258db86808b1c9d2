"""The pages a specialist's email links to: the patient's request with three one-click
answers, and their own listing to correct. No account: the signed, expiring link is the
authorisation. A lead link names one routing, so a specialist sees their own answer and
never another's; a listing link sends one set of corrections. Provider pages are English
(under /es/ too)."""

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.phones import phone_display
from leads.models import LeadMatch
from leads.responses import lead_match_answer
from leads.tokens import lead_match_from_token
from specialists.corrections import (
    CORRECTABLE_FIELDS,
    CorrectionLink,
    correction_for_link,
    correction_link_open,
    correction_propose,
    value_display,
)
from specialists.forms import ListingCorrectionForm

from ..forms import ProviderAnswerForm
from .links import signed_link


@never_cache
@require_http_methods(["GET", "POST"])
@signed_link(lead_match_from_token, what="provider")
def provider_lead(request, match: LeadMatch):
    """GET shows the request and, until answered, the answers; POST records one, once.

    A second POST (a reused link, a double click, the back button) records nothing and
    says what was recorded before (409)."""
    form = ProviderAnswerForm()
    status = 200
    already_answered = False
    if request.method == "POST":
        form = ProviderAnswerForm(request.POST)
        if form.is_valid():
            if lead_match_answer(
                match=match,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
            ):
                # Post/redirect/get: a reload shows the answer instead of posting again.
                return _no_referrer(HttpResponseRedirect(request.path))
            match.refresh_from_db()
            already_answered, status = True, 409
        else:
            status = 400
    context = {
        "match": match,
        "lead": match.lead,
        "specialist": match.specialist,
        "lead_phone_display": phone_display(match.lead.phone),
        "form": form,
        "reasons": LeadMatch.Reason.choices,
        "outcomes": LeadMatch.Outcome,
        "already_answered": already_answered,
    }
    return _no_referrer(render(request, "pages/provider_lead.html", context, status=status))


@never_cache
@require_http_methods(["GET", "POST"])
@signed_link(correction_link_open, what="listing")
def provider_listing(request, link: CorrectionLink):
    """GET shows the listing's correctable fields filled in; POST keeps them as a proposal
    for the network team to review, once per link. A used link shows what it sent (a
    second POST records nothing: 409); bad input is 400 with each field's problem."""
    with translation.override("en"):
        sent = correction_for_link(link)
        status = 200
        form = None
        if sent is None:
            form = ListingCorrectionForm(request.POST or None, specialist=link.specialist)
            if request.method == "POST":
                if form.is_valid():
                    sent = correction_propose(
                        link=link, proposed=form.proposal(), note=form.cleaned_data["note"]
                    )
                    if sent is not None:
                        return _no_referrer(HttpResponseRedirect(request.path))
                    sent = correction_for_link(link)
                    status = 409
                else:
                    status = 400
        elif request.method == "POST":
            status = 409
        context = {
            "specialist": link.specialist,
            "form": form,
            "sent": sent,
            "sent_values": [
                (field.label, value_display(field.name, sent.proposed[field.name]))
                for field in CORRECTABLE_FIELDS
            ]
            if sent
            else [],
            "reused": status == 409,
        }
        return _no_referrer(render(request, "pages/provider_listing.html", context, status=status))


def _no_referrer(response):
    # The address holds the link's token: no request from this page may carry it away.
    response["Referrer-Policy"] = "no-referrer"
    return response
