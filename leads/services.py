"""Lead intake and status: store a lead, route it to the nearest specialists, owe its emails.

The emails go through the outbox (``leads.outbox``), written in the lead's own transaction.
"""

import datetime
import hashlib
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from core.business_hours import business_hours_after
from core.db import rows_insert
from core.i18n import language_current
from core.metrics import LEADS_ACCEPTED
from geo.distance import great_circle_distance, rounded
from geo.gazetteer import ZipPlace, zip_place
from matcher.query import MatchQuery
from matcher.selectors import specialist_nearest_ids
from specialists.models import Specialist, Treatment

from .consent import consent_chosen, consent_limits_to_chosen, consent_wording
from .models import (
    ROUTING_LIMIT,
    ROUTING_RADIUS_MILES,
    TRACKING_FIELDS,
    Lead,
    LeadMatch,
    OutboundMessage,
    email_normalize,
)
from .outbox import outbox_add, outbox_message
from .selectors import RecentLeads, lead_recent_counts, lead_recent_duplicate

Kind = OutboundMessage.Kind
Status = OutboundMessage.Status

# A specialist's weekly_capacity counts the requests routed to them in this window.
CAPACITY_WINDOW = datetime.timedelta(days=7)
# Routing asks the matcher for this many more than it needs, for those it must skip (full,
# already sent this lead, or no longer accepting since the index's snapshot).
CANDIDATE_MARGIN = 20
# The duplicate check and the daily limits look back this far.
LEAD_WINDOW = datetime.timedelta(hours=24)
FOLLOWUPS = OutboundMessage.FOLLOWUPS
HONEYPOT_FIELD = "website"
REACHED = (Lead.Status.CONTACTED, Lead.Status.SCHEDULED)


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


def lead_dedupe_key(*, email: str, phone: str, zip: str, chosen: list[Specialist] = ()) -> str:
    """The same person asking again from the same place, whatever treatment they name: the
    treatment is left out so that no answer can tell a stranger which one the first asked
    about. A patient who chose specialists and then chooses others is asking anew."""
    parts = [email_normalize(email), phone, zip]
    if chosen:
        parts.append(",".join(str(pk) for pk in sorted(s.pk for s in chosen)))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _chosen_ranked(place: ZipPlace, chosen: list[Specialist]) -> list[tuple[Specialist, float]]:
    """The patient's choice nearest first (ties by last name, then id), as routing ranks,
    with the rounded miles from the lead's ZIP centroid."""
    measured = sorted(
        (
            great_circle_distance(
                place.latitude, place.longitude, s.latitude, s.longitude, unit="mi"
            ),
            s.last_name,
            s.pk,
            s,
        )
        for s in chosen
    )
    return [(s, rounded(distance)) for distance, _, _, s in measured]


def lead_submit(
    *,
    data: dict,
    client_ip: str | None = None,
    language: str | None = None,
    submitted_ids: Collection[uuid.UUID] = (),
) -> LeadSubmission:
    """Store a lead from ``LeadInputSerializer.validated_data``, route it and owe its emails.

    - Goes to the specialists the patient chose (``specialists``, checked by the
      serializer: qualifying and accepting new patients) that have room this week (the
      capacity rule of ``specialists_routable``, the same for every routing: one at
      capacity waits, kept in ``Lead.chosen_specialists``, and is offered the request
      first should another fail, see ``reroute_candidates``); else routes to the
      ROUTING_LIMIT nearest qualifying specialists within ROUTING_RADIUS_MILES that accept
      new patients and have room this week (``routing_candidates``). Stored as LeadMatch
      rows ranked from 1, nearest first, marked ``chosen_by_patient`` or not, each due an
      answer by ``respond_by_for`` (see ``leads.responses``). No match (nobody near, or
      every chosen specialist at capacity): the lead is flagged
      ``needs_network_attention`` and the network inbox is told.
    - The consent wording stored names the chosen specialists (``consent.consent_chosen``).
    - The same email, phone and ZIP (and, when chosen, the same specialists) within 24
      hours, whatever the treatment (the contract's duplicate, widened so every treatment
      guess gets the same answer), returns the first
      lead with ``created=False`` and owes nothing new. Its matches come back only to the
      client that sent it (its id is in ``submitted_ids``, the client's signed cookie); to
      anyone else the answer is the id alone, which opens nothing (the thank-you page
      is generic without the receipt).
    - Limits per rolling 24 hours (``LEADS_PER_EMAIL_PER_DAY``, ``_PHONE_``, ``_IP_``,
      counting the leads already stored): beyond any of them the lead is stored, held for
      review (``held_for_review`` says why) and owes no email at all. The caller answers a
      held lead exactly like any other, so a client learns nothing from it.
    - Owes, in the same transaction: one notification per matched specialist and, for the
      first lead from the email address in 24 hours only, a patient confirmation and
      follow-ups due at +2 and +7 days. Messages due now are handed to Celery after the
      commit; a broker failure is logged and left to the sweep.
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
    key = lead_dedupe_key(email=data["email"], phone=data["phone"], zip=place.zip, chosen=chosen)
    now = timezone.now()
    if chosen:
        ranked = _chosen_ranked(place, chosen)
        room = specialists_routable(ids=[s.pk for s, _ in ranked], now=now)
        targets = [
            (specialist, distance) for specialist, distance in ranked if specialist.pk in room
        ]
    else:
        targets = routing_candidates(
            place=place, treatment=treatment, count=ROUTING_LIMIT, now=now, language=language
        )
    with transaction.atomic():
        _lock_person(data["email"])
        recent = lead_recent_counts(
            email=data["email"],
            phone=data["phone"],
            ip=client_ip,
            dedupe_key=key,
            since=now - LEAD_WINDOW,
        )
        if recent.same_request:
            earlier = lead_recent_duplicate(dedupe_key=key, since=now - LEAD_WINDOW)
            shown = list(earlier.matches.all()) if earlier.id in submitted_ids else []
            return LeadSubmission(lead=earlier, created=False, matches=shown)
        hold = _over_limit(recent)
        lead = Lead(
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
            **{name: data.get(name, "") for name in TRACKING_FIELDS},
            language=language,
            needs_network_attention=not targets,
            held_for_review=hold,
            dedupe_key=key,
            created_at=now,
        )
        respond_by = respond_by_for(now)
        matches = [
            LeadMatch(
                lead=lead,
                specialist=specialist,
                rank=rank,
                distance=distance,
                chosen_by_patient=bool(chosen),
                created_at=now,
                respond_by=respond_by,
            )
            for rank, (specialist, distance) in enumerate(targets, start=1)
        ]
        # The lead, its chosen specialists, its matches and the emails it owes: one
        # statement on PostgreSQL.
        rows = [
            [lead],
            [
                Lead.chosen_specialists.through(lead=lead, specialist=specialist)
                for specialist in chosen
            ],
            matches,
        ]
        if hold:
            rows_insert(*rows)
        else:
            outbox_add(
                _lead_messages(lead=lead, matches=matches, now=now, patient=recent.email == 0),
                along=rows,
            )
    LEADS_ACCEPTED.inc()
    return LeadSubmission(lead=lead, created=True, matches=matches)


def respond_by_for(routed_at: datetime.datetime) -> datetime.datetime:
    """When a specialist routed a request at ``routed_at`` must have answered it:
    PROVIDER_RESPONSE_HOURS business hours later."""
    return business_hours_after(routed_at, hours=settings.PROVIDER_RESPONSE_HOURS)


def specialists_routable(*, ids: list[int], now: datetime.datetime) -> dict[int, Specialist]:
    """Of ``ids``, the specialists a new request may go to, by id: accepting new patients
    and below their ``weekly_capacity`` (requests routed to them in the last 7 days).
    Loaded with what a lead's answer shows of them (name, URL); the emails load the rest
    when they are sent."""
    accepting = (
        Specialist.objects.filter(pk__in=ids, accepting_new_patients=True)
        .order_by()
        .only("id", "slug", "first_name", "last_name", "credentials", "weekly_capacity")
        .in_bulk()
    )
    # Most specialists set no capacity: their requests need no counting.
    capped = [pk for pk, s in accepting.items() if s.weekly_capacity is not None]
    recent = dict(
        LeadMatch.objects.filter(specialist__in=capped, created_at__gte=now - CAPACITY_WINDOW)
        .values("specialist")
        .annotate(count=Count("pk"))
        .values_list("specialist", "count")
        if capped
        else ()
    )
    return {
        pk: s
        for pk, s in accepting.items()
        if s.weekly_capacity is None or recent.get(pk, 0) < s.weekly_capacity
    }


def routing_candidates(
    *,
    place: ZipPlace,
    treatment: Treatment | None,
    count: int,
    now: datetime.datetime,
    exclude: frozenset[int] | set[int] = frozenset(),
    language: str | None = None,
) -> list[tuple[Specialist, float]]:
    """``(specialist, miles)`` of the ``count`` nearest qualifying specialists within
    ROUTING_RADIUS_MILES a request may go to (``specialists_routable``), skipping
    ``exclude`` (those the lead was already sent to); the matcher's own search, which
    answers only with specialists accepting new patients.

    For a lead in a language other than English, those who speak it come first (nearest
    first), then the rest fill the places left (nearest first): a patient who asked in
    Spanish is better served by a Spanish speaker a little further away, but never goes
    unrouted for want of one."""

    def nearest(speaking: str | None) -> list[tuple[int, float]]:
        found = specialist_nearest_ids(
            MatchQuery(
                origin=place,
                treatment=treatment,
                radius=ROUTING_RADIUS_MILES,
                unit="mi",
                limit=count + len(exclude) + CANDIDATE_MARGIN,
                accepting=True,
                language=speaking,
            )
        )
        return [pair for pair in found if pair[0] not in exclude]

    found = nearest(None)
    if language and language != "en":
        speakers = nearest(language)
        taken = {pk for pk, _ in speakers}
        found = speakers + [pair for pair in found if pair[0] not in taken]
    # The nearest ``count`` nearly always have room: ask about them alone first, and
    # about the rest only when some of those could not take the request.
    routed = []
    for candidates in (found[:count], found[count:]):
        routable = specialists_routable(ids=[pk for pk, _ in candidates], now=now)
        routed += [(routable[pk], distance) for pk, distance in candidates if pk in routable]
        if len(routed) >= count:
            break
    return routed[:count]


def reroute_candidates(
    *, lead: Lead, count: int, now: datetime.datetime
) -> list[tuple[int, float]]:
    """``(specialist id, miles)`` of up to ``count`` specialists ``lead`` may go on to when
    routings to it fail, in this order:

    1. the patient's own chosen specialists it has not gone to yet (one at capacity when
       the lead arrived), still qualifying, accepting new patients and with room this week
       (``specialists_routable``), nearest first, whatever the distance;
    2. then the nearest others as ``routing_candidates`` finds them, which the consent of
       a patient who chose agrees to, except for the earlier wording that agreed to the
       chosen specialists alone (``consent_limits_to_chosen``): such a lead goes to the
       network team instead.

    Nobody the lead already went to is offered it again."""
    routed = set(lead.matches.values_list("specialist_id", flat=True))
    place = zip_place(lead.zip)
    waiting = (
        Specialist.objects.qualifying(treatment=lead.treatment)
        .filter(pk__in=lead.chosen_specialists.all())
        .exclude(pk__in=routed)
        .only("id", "last_name", "latitude", "longitude")
    )
    ranked = _chosen_ranked(place, list(waiting))
    room = specialists_routable(ids=[s.pk for s, _ in ranked], now=now)
    found = [(s.pk, distance) for s, distance in ranked if s.pk in room][:count]
    if len(found) < count and not consent_limits_to_chosen(lead.consent_version):
        found += [
            (specialist.pk, distance)
            for specialist, distance in routing_candidates(
                place=place,
                treatment=lead.treatment,
                count=count - len(found),
                now=now,
                exclude=routed | {pk for pk, _ in found},
                language=lead.language,
            )
        ]
    return found


def _over_limit(recent: RecentLeads) -> str:
    """The hold for a lead arriving after ``recent`` ones in 24 hours, or "" for none."""
    limits = (
        (recent.email, settings.LEADS_PER_EMAIL_PER_DAY, Lead.Hold.EMAIL_LIMIT),
        (recent.phone, settings.LEADS_PER_PHONE_PER_DAY, Lead.Hold.PHONE_LIMIT),
        (recent.ip, settings.LEADS_PER_IP_PER_DAY, Lead.Hold.IP_LIMIT),
    )
    return next((hold for count, limit, hold in limits if count >= limit), "")


def _lock_person(email: str) -> None:
    """Serialize concurrent submissions from one email address, so the duplicate check,
    the daily limits and the one-confirmation rule each see the other's lead.

    PostgreSQL gets a transaction-scoped advisory lock on the address; SQLite transactions
    are already serialized (the settings open them IMMEDIATE).
    """
    if connection.vendor == "postgresql":
        digest = hashlib.sha256(email_normalize(email).encode()).hexdigest()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(digest[:15], 16)])


def _lead_messages(
    *, lead: Lead, matches: list[LeadMatch], now, patient: bool
) -> list[OutboundMessage]:
    """The emails a new lead owes, in the order they are handed to the broker: the patient
    hears first (when ``patient``), then each matched office (or the network team when
    nobody matched), then the patient's follow-ups."""
    messages = []
    if patient:
        messages.append(outbox_message(kind=Kind.PATIENT_CONFIRMATION, lead=lead, due_at=now))
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
    if patient:
        messages.extend(
            outbox_message(kind=kind, lead=lead, due_at=now + delay) for kind, delay in FOLLOWUPS
        )
    return messages


def lead_release(*, lead: Lead) -> bool:
    """Notify a held lead's specialists (or the network team) after staff checked it.

    The patient is not emailed: the hold means the address may not be theirs. Returns
    False when the lead was not held (nothing to do).
    """
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if not lead.held_for_review:
            return False
        lead.held_for_review = ""
        lead.save(update_fields=["held_for_review", "updated_at"])
        now = timezone.now()
        # The specialists hear of it only now: their time to answer starts now.
        lead.matches.update(respond_by=respond_by_for(now))
        matches = list(lead.matches.all())
        outbox_add(_lead_messages(lead=lead, matches=matches, now=now, patient=False))
    return True


def lead_status_set(*, lead: Lead, status: str, now: datetime.datetime | None = None) -> Lead:
    """Move a lead to ``status``; once someone reached the patient, pending follow-ups are
    cancelled (the sender re-checks too, in case one is already in flight). The first move
    to contacted or scheduled is kept as ``first_contacted_at``."""
    now = now or timezone.now()
    if lead.status != status:
        lead.status = status
        lead.status_changed_at = now
        fields = ["status", "status_changed_at", "updated_at"]
        if status in REACHED and lead.first_contacted_at is None:
            lead.first_contacted_at = now
            fields.append("first_contacted_at")
        lead.save(update_fields=fields)
    if not lead.awaits_contact:
        OutboundMessage.objects.filter(
            lead=lead, kind__in=OutboundMessage.FOLLOWUP_KINDS, status=Status.PENDING
        ).update(status=Status.CANCELLED, updated_at=now)
    return lead
