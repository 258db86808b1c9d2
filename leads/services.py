"""Lead intake and status: store a lead, route it to the nearest specialists, owe its emails.

The emails go through the outbox (``leads.outbox``), written in the lead's own transaction.
"""

import datetime
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from core.i18n import language_current
from geo.distance import great_circle_distance, rounded
from geo.gazetteer import ZipPlace, zip_place
from matcher.query import MatchQuery
from matcher.selectors import specialist_nearest_ids
from specialists.models import Specialist, Treatment

from .consent import consent_chosen, consent_wording
from .models import ROUTING_LIMIT, ROUTING_RADIUS_MILES, Lead, LeadMatch, OutboundMessage
from .outbox import outbox_add, outbox_message
from .selectors import lead_recent_duplicate

Kind = OutboundMessage.Kind
Status = OutboundMessage.Status

DEDUPE_WINDOW = datetime.timedelta(hours=24)
FOLLOWUPS = OutboundMessage.FOLLOWUPS
HONEYPOT_FIELD = "website"


@dataclass
class LeadSubmission:
    """What ``lead_submit`` did: the stored lead (the earlier one for a duplicate), whether
    it was created now, and its matches nearest first (specialists loaded)."""

    lead: Lead
    created: bool
    matches: list[LeadMatch] = field(default_factory=list)


def honeypot_filled(data: object) -> bool:
    """True when a submitted form or JSON body filled the hidden ``website`` field.

    Callers check this BEFORE validating and answer such a post exactly like a success
    without calling ``lead_submit`` (the API answers 201 with a made-up id; a page
    redirects to the generic ``lead-received`` page), so a bot learns nothing.
    """
    if not isinstance(data, Mapping):
        return False
    value = data.get(HONEYPOT_FIELD)
    return bool(value.strip() if isinstance(value, str) else value)


def lead_dedupe_key(
    *,
    email: str,
    phone: str,
    zip: str,
    treatment: Treatment | None,
    chosen: list[Specialist] = (),
) -> str:
    """The same person asking the same about the same place (and, when they chose, the same
    specialists) within the window is one lead."""
    parts = [email.strip().lower(), phone, zip, treatment.slug if treatment else ""]
    if chosen:
        parts.append(",".join(str(pk) for pk in sorted(s.pk for s in chosen)))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _routed(place: ZipPlace, treatment: Treatment | None) -> list[tuple[Specialist, float]]:
    """The ROUTING_LIMIT nearest qualifying specialists accepting new patients within
    ROUTING_RADIUS_MILES, nearest first, with their rounded distances."""
    found = specialist_nearest_ids(
        MatchQuery(
            origin=place,
            treatment=treatment,
            radius=ROUTING_RADIUS_MILES,
            unit="mi",
            limit=ROUTING_LIMIT,
            accepting=True,
        )
    )
    # Only what the answer shows (name, URL): the emails load the rest when they are sent.
    specialists = Specialist.objects.only(
        "id", "slug", "first_name", "last_name", "credentials"
    ).in_bulk([specialist_id for specialist_id, _ in found])
    return [(specialists[pk], distance) for pk, distance in found if pk in specialists]


def _chosen(place: ZipPlace, chosen: list[Specialist]) -> list[tuple[Specialist, float]]:
    """The patient's choice, nearest first (ties by last name, then id), as routing ranks."""
    measured = [
        (
            great_circle_distance(
                place.latitude, place.longitude, s.latitude, s.longitude, unit="mi"
            ),
            s.last_name,
            s.pk,
            s,
        )
        for s in chosen
    ]
    return [(s, rounded(distance)) for distance, _, _, s in sorted(measured)]


def lead_submit(
    *, data: dict, client_ip: str | None = None, language: str | None = None
) -> LeadSubmission:
    """Store a lead from ``LeadInputSerializer.validated_data``, route it and owe its emails.

    - Goes to the specialists the patient chose (``specialists``, already checked by the
      serializer), else to the ROUTING_LIMIT nearest qualifying specialists accepting new
      patients within ROUTING_RADIUS_MILES (the matcher's own search,
      ``specialist_nearest_ids``); stored as LeadMatch rows ranked from 1, nearest first,
      marked ``chosen_by_patient`` or not. No match: the lead is flagged
      ``needs_network_attention`` and the network inbox is told.
    - The consent wording stored names the chosen specialists (``consent.consent_chosen``).
    - The same email, phone, ZIP, treatment (and choice) within 24 hours returns the earlier
      lead with ``created=False`` and owes nothing new.
    - Owes, in the same transaction: one notification per matched specialist, a patient
      confirmation, and follow-ups due at +2 and +7 days. Messages due now are handed to
      Celery after the commit; a broker failure is logged and left to the sweep.
    - ``client_ip`` is kept with the consent as evidence of where it came from.
    - ``language`` (the active language by default: the page's, or the API request's
      Accept-Language) is stored; the lead keeps the consent wording and version of that
      language, the one its form showed, and the patient's emails are in it.
    The honeypot is the caller's job (see ``honeypot_filled``).
    """
    place = zip_place(data["zip"])
    treatment = data.get("treatment")
    chosen = data.get("specialists") or []
    language = language or language_current()
    consent = (
        consent_chosen([s.display_name for s in chosen], language)
        if chosen
        else consent_wording(language)
    )
    key = lead_dedupe_key(
        email=data["email"], phone=data["phone"], zip=place.zip, treatment=treatment, chosen=chosen
    )
    targets = _chosen(place, chosen) if chosen else _routed(place, treatment)
    now = timezone.now()
    with transaction.atomic():
        _lock_dedupe_key(key)
        earlier = lead_recent_duplicate(dedupe_key=key, since=now - DEDUPE_WINDOW)
        if earlier is not None:
            return LeadSubmission(lead=earlier, created=False, matches=list(earlier.matches.all()))
        lead = Lead.objects.create(
            zip=place.zip,
            state=place.state,
            city=place.city,
            treatment=treatment,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data["phone"],
            phone_extension=data.get("phone_extension", ""),
            message=data.get("message", ""),
            consent=True,
            consent_text=consent.text,
            consent_version=consent.version,
            consented_at=now,
            consent_ip=client_ip,
            utm_source=data.get("utm_source", ""),
            utm_medium=data.get("utm_medium", ""),
            utm_campaign=data.get("utm_campaign", ""),
            utm_term=data.get("utm_term", ""),
            utm_content=data.get("utm_content", ""),
            referrer=data.get("referrer", ""),
            language=language,
            needs_network_attention=not targets,
            dedupe_key=key,
            created_at=now,
        )
        matches = LeadMatch.objects.bulk_create(
            LeadMatch(
                lead=lead,
                specialist=specialist,
                rank=rank,
                distance=distance,
                chosen_by_patient=bool(chosen),
            )
            for rank, (specialist, distance) in enumerate(targets, start=1)
        )
        outbox_add(_lead_messages(lead=lead, matches=matches, now=now))
    return LeadSubmission(lead=lead, created=True, matches=matches)


def _lock_dedupe_key(key: str) -> None:
    """Serialize concurrent submissions of the same lead so only one is stored.

    PostgreSQL gets a transaction-scoped advisory lock on the key; SQLite transactions are
    already serialized (the settings open them IMMEDIATE).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(key[:15], 16)])


def _lead_messages(*, lead: Lead, matches: list[LeadMatch], now) -> list[OutboundMessage]:
    """The emails a new lead owes, in the order they are handed to the broker: the patient
    hears first, then each matched office (or the network team when nobody matched)."""
    messages = [outbox_message(kind=Kind.PATIENT_CONFIRMATION, lead=lead, due_at=now)]
    messages.extend(
        outbox_message(
            kind=Kind.PROVIDER_NOTIFICATION,
            lead=lead,
            specialist_id=match.specialist_id,
            due_at=now,
        )
        for match in matches
    )
    if not matches:
        messages.append(outbox_message(kind=Kind.NETWORK_ALERT, lead=lead, due_at=now))
    messages.extend(
        outbox_message(kind=kind, lead=lead, due_at=now + delay) for kind, delay in FOLLOWUPS
    )
    return messages


def lead_status_set(*, lead: Lead, status: str) -> Lead:
    """Move a lead to ``status``; once someone reached the patient, pending follow-ups are
    cancelled (the sender re-checks too, in case one is already in flight)."""
    if lead.status != status:
        lead.status = status
        lead.status_changed_at = timezone.now()
        lead.save(update_fields=["status", "status_changed_at", "updated_at"])
    if not lead.awaits_contact:
        OutboundMessage.objects.filter(
            lead=lead, kind__in=OutboundMessage.FOLLOWUP_KINDS, status=Status.PENDING
        ).update(status=Status.CANCELLED, updated_at=timezone.now())
    return lead
