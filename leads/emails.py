"""Outbox rows to email messages: recipient, subject, text and HTML parts from templates.

Templates live in templates/email/<kind>.txt and <kind>.html. Every email carries the
sender's postal address; newsletter email also carries a one-click unsubscribe link and the
RFC 2369 / RFC 8058 ``List-Unsubscribe`` headers.

Email to a patient or subscriber is in the language they used (``language`` on the lead,
subscriber or e-book request), links included; email to providers and the network team
is in English and says when the patient prefers another language.
"""

import hashlib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from core.i18n import Language
from core.phones import phone_display
from core.text import joined_with_and
from specialists.corrections import correction_link_token
from specialists.models import CERTIFICATION_WARNING_DAYS, FACT_LABELS
from specialists.selectors import certifications_expiring, listings_stale, listings_stale_counts

from .models import ROUTING_RADIUS_MILES, DirectoryDigest, LeadMatch, OutboundMessage
from .tokens import (
    ebook_download_token,
    newsletter_confirm_token,
    newsletter_unsubscribe_token,
    provider_lead_token,
)

Kind = OutboundMessage.Kind

SUBJECTS = {
    Kind.PROVIDER_NOTIFICATION: "New patient request near {zip}",
    Kind.NETWORK_ALERT: "Lead without a match near {zip}: please find a specialist",
    Kind.PATIENT_CONFIRMATION: gettext_lazy("We received your request"),
    Kind.PATIENT_FOLLOWUP_2D: gettext_lazy("Has a specialist reached you yet?"),
    Kind.PATIENT_FOLLOWUP_7D: gettext_lazy("Still looking for a spine specialist?"),
    Kind.NEWSLETTER_CONFIRMATION: gettext_lazy("Please confirm your subscription"),
    Kind.NEWSLETTER_WELCOME: gettext_lazy("Welcome to the {site_name} newsletter"),
    Kind.EBOOK_LINK: gettext_lazy("Your free e-book: Life after back surgery"),
    Kind.DIRECTORY_DIGEST: "Directory digest: listings to confirm, certificates to renew",
    Kind.PATIENT_REROUTED: gettext_lazy("Another specialist will call you"),
}
# Written to our own people, who read English whatever the patient's language.
STAFF_KINDS = (Kind.PROVIDER_NOTIFICATION, Kind.NETWORK_ALERT, Kind.DIRECTORY_DIGEST)
# Listings and certificates named in the digest; the rest are counted and linked.
DIGEST_ROWS_SHOWN = 25


class MessageNotDeliverable(Exception):
    """The message can never be sent as it stands (no recipient address configured)."""


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def message_id_header(message: OutboundMessage) -> str:
    """A Message-ID fixed by the idempotency key: should a resend ever happen after a crash
    between the SMTP server's acceptance and our bookkeeping, mail systems see the same id."""
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<outbox.{digest}@{domain}>"


def message_language(message: OutboundMessage) -> str:
    """The language ``message`` is written in: its reader's."""
    if message.kind in STAFF_KINDS:
        return Language.ENGLISH
    reader = message.lead or message.subscriber or message.ebook_request
    return reader.language


def message_email(message: OutboundMessage) -> EmailMultiAlternatives:
    """The email for an outbox row whose subject rows are loaded (see ``message_deliver``),
    in its reader's language."""
    language = message_language(message)
    with translation.override(language):
        return _email(message, language=language)


def _email(message: OutboundMessage, *, language: str) -> EmailMultiAlternatives:
    recipient, context = _recipient_and_context(message)
    if not recipient:
        raise MessageNotDeliverable("no recipient address (set NETWORK_INBOX_EMAIL)")
    context.update(
        site_name=settings.SITE_NAME,
        site_url=settings.SITE_URL,
        home_url=absolute_url(reverse("home")),
        postal_address=settings.SENDER_POSTAL_ADDRESS,
        patient_phone=settings.PATIENT_PHONE_NUMBER,
        patient_phone_display=phone_display(settings.PATIENT_PHONE_NUMBER),
    )
    headers = {"Message-ID": message_id_header(message), "Content-Language": language}
    unsubscribe_url = context.get("unsubscribe_url")
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    subject = str(SUBJECTS[message.kind]).format(
        zip=context.get("lead").zip if context.get("lead") else "",
        site_name=settings.SITE_NAME,
    )
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"email/{message.kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        headers=headers,
    )
    email.attach_alternative(render_to_string(f"email/{message.kind}.html", context), "text/html")
    return email


def _recipient_and_context(message: OutboundMessage) -> tuple[str, dict]:
    if message.lead_id is not None:
        lead = message.lead
        context = {
            "lead": lead,
            "lead_phone_display": phone_display(lead.phone, lead.phone_extension),
            "thanks_url": absolute_url(lead.get_absolute_url()),
            "routing_radius": ROUTING_RADIUS_MILES,
            # For the staff: the language to call the patient in, when it is not English.
            "patient_language": ""
            if lead.language == Language.ENGLISH
            else lead.get_language_display(),
        }
        if message.kind == Kind.PROVIDER_NOTIFICATION:
            specialist = message.specialist
            if specialist is None:
                raise MessageNotDeliverable("the matched specialist no longer exists")
            context["specialist"] = specialist
            context["via_network_inbox"] = not specialist.email
            context["include_message"] = settings.PROVIDER_EMAIL_INCLUDES_MESSAGE
            match = LeadMatch.objects.filter(lead=lead, specialist=specialist).first()
            if match is not None:
                context["respond_url"] = absolute_url(
                    reverse("provider-lead", args=[provider_lead_token(match)])
                )
                context["respond_by"] = match.respond_by
                context["chosen"] = match.chosen_by_patient
            context["link_days"] = settings.PROVIDER_LINK_MAX_AGE_DAYS
            context["correction_url"] = absolute_url(
                reverse("provider-listing", args=[correction_link_token(specialist)])
            )
            context["correction_days"] = settings.PROVIDER_CORRECTION_LINK_MAX_AGE_DAYS
            return specialist.email or settings.NETWORK_INBOX_EMAIL, context
        if message.kind == Kind.PATIENT_REROUTED:
            context["specialists"] = _rerouted_to(message)
            context["names"] = joined_with_and([s["name"] for s in context["specialists"]])
            return lead.email, context
        if message.kind == Kind.NETWORK_ALERT:
            context["admin_url"] = absolute_url(reverse("admin:leads_lead_change", args=[lead.pk]))
            return settings.NETWORK_INBOX_EMAIL, context
        context["matches"] = list(
            lead.matches.select_related("specialist__institute").order_by("rank")
        )
        return lead.email, context
    if message.subscriber_id is not None:
        subscriber = message.subscriber
        context = {
            "unsubscribe_url": absolute_url(
                reverse("newsletter-unsubscribe", args=[newsletter_unsubscribe_token(subscriber)])
            ),
            "confirm_url": absolute_url(
                reverse("newsletter-confirm", args=[newsletter_confirm_token(subscriber)])
            ),
            "confirm_days": settings.NEWSLETTER_CONFIRM_MAX_AGE_DAYS,
        }
        return subscriber.email, context
    if message.directory_digest_id is not None:
        return settings.NETWORK_INBOX_EMAIL, _digest_context(message.directory_digest)
    request = message.ebook_request
    context = {
        "first_name": request.first_name,
        "download_url": absolute_url(
            reverse("ebook-download", args=[ebook_download_token(request)])
        ),
        "link_days": settings.EBOOK_LINK_MAX_AGE_DAYS,
    }
    return request.email, context


def _rerouted_to(message: OutboundMessage) -> list[dict]:
    """Who a re-route sent the patient's request to, nearest first: the routing of the
    specialist the message names and every routing made in the same re-route (they share
    its ``created_at``)."""
    first = LeadMatch.objects.filter(lead=message.lead, specialist=message.specialist_id).first()
    if first is None:
        raise MessageNotDeliverable("the new specialist no longer exists")
    routings = message.lead.matches.filter(created_at=first.created_at).select_related("specialist")
    return [
        {
            "name": routing.specialist.display_name,
            "phone": routing.specialist.phone,
            "phone_display": phone_display(routing.specialist.phone),
            "url": absolute_url(routing.specialist.get_absolute_url()),
        }
        for routing in routings.order_by("rank")
    ]


def _digest_context(digest: DirectoryDigest) -> dict:
    """The directory as it is when the digest is sent: counts of stale facts, the first
    listings and certificates to act on, and admin links to all of them."""
    stale = list(listings_stale()[:DIGEST_ROWS_SHOWN])
    expiring = certifications_expiring()
    counts = listings_stale_counts()
    changelist = reverse("admin:specialists_specialist_changelist")
    certificates = reverse("admin:specialists_boardcertification_changelist")
    return {
        "digest": digest,
        "stale_days": settings.LISTING_STALE_DAYS,
        "warning_days": CERTIFICATION_WARNING_DAYS,
        "stale_counts": [(FACT_LABELS[fact], count) for fact, count in counts.items()],
        "stale_total": listings_stale().count(),
        "stale_listings": [
            {
                "name": specialist.display_name,
                "npi": specialist.npi,
                "facts": ", ".join(FACT_LABELS[f].lower() for f in specialist.stale_facts()),
                "admin_url": absolute_url(
                    reverse("admin:specialists_specialist_change", args=[specialist.pk])
                ),
            }
            for specialist in stale
        ],
        "expiring_total": expiring.count(),
        "expiring": list(expiring[:DIGEST_ROWS_SHOWN]),
        "stale_url": absolute_url(f"{changelist}?active__exact=1&stale=any"),
        "expiring_url": absolute_url(f"{certificates}?expiring=soon&specialist__active__exact=1"),
    }
