"""The closed loop with providers: each routed specialist answers through the signed link in
their email, and a request nobody can take goes on to the next nearest specialist.

- *Contacted* or *scheduled* moves the lead on (``lead_status_set``: follow-ups cancelled).
- *Can't help*, or no answer by the routing's ``respond_by`` (``routing_overdue_sweep``,
  run by beat), re-routes: the next nearest routable specialist the lead was not already
  sent to gets a notification, and the patient one email naming them. Nobody left, or a
  specialist the patient chose by name: the network team is told.

Each routing is answered at most once and re-routed at most once: both are conditional
UPDATEs made while the lead's row is locked, so a double click, a reused link and the
sweep racing an answer all leave one outcome and at most one re-route.
"""

import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from geo.gazetteer import zip_place

from .models import Lead, LeadMatch, OutboundMessage
from .outbox import outbox_add, outbox_add_once, outbox_message
from .services import lead_status_set, respond_by_for, routing_candidates

Kind = OutboundMessage.Kind
Outcome = LeadMatch.Outcome
Status = Lead.Status

# What a provider's answer moves the lead to, and the statuses it may move it from: an
# answer never undoes a later step (a scheduled or closed lead stays so).
OUTCOME_STATUS = {
    Outcome.CONTACTED: (Status.CONTACTED, (Status.NEW,)),
    Outcome.SCHEDULED: (Status.SCHEDULED, (Status.NEW, Status.CONTACTED)),
}


def lead_match_answer(
    *,
    match: LeadMatch,
    outcome: str,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> bool:
    """Record a specialist's answer on their routing ``match``, once.

    Returns False, changing nothing, when the routing was already answered (a reused link,
    a double click). ``reason`` (a ``LeadMatch.Reason``) is kept only with *can't help*.
    """
    now = now or timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=match.lead_id)
        answered = LeadMatch.objects.filter(pk=match.pk, outcome="").update(
            outcome=outcome,
            cant_help_reason=reason if outcome == Outcome.CANT_HELP else "",
            answered_at=now,
        )
        if not answered:
            return False
        match.refresh_from_db()
        if outcome == Outcome.CANT_HELP:
            _reroute(lead=lead, match=match, now=now)
        else:
            status, moves_from = OUTCOME_STATUS[outcome]
            if lead.status in moves_from:
                lead_status_set(lead=lead, status=status, now=now)
    return True


def routing_overdue_sweep(*, now: datetime.datetime | None = None, limit: int = 200) -> int:
    """Re-route every routing not answered by its ``respond_by`` while its lead still awaits
    contact; returns how many were re-routed (a specialist found or not). Safe to run
    anywhere, any number of times."""
    now = now or timezone.now()
    overdue = list(
        LeadMatch.objects.filter(
            outcome="",
            rerouted_at__isnull=True,
            respond_by__lte=now,
            lead__status=Status.NEW,
            # A held lead's specialists have not been told yet; an erased one is closed.
            lead__held_for_review="",
            lead__anonymised_at__isnull=True,
        )
        .order_by("respond_by")
        .values_list("pk", "lead_id")[:limit]
    )
    rerouted = 0
    for match_id, lead_id in overdue:
        with transaction.atomic():
            lead = Lead.objects.select_for_update().get(pk=lead_id)
            # Re-read under the lock: an answer may have come in since the list was taken.
            match = LeadMatch.objects.get(pk=match_id)
            if not match.outcome and match.rerouted_at is None:
                rerouted += _reroute(lead=lead, match=match, now=now)
    return rerouted


def _reroute(*, lead: Lead, match: LeadMatch, now: datetime.datetime) -> bool:
    """Send ``lead`` on from ``match`` to the next nearest routable specialist it was not
    already sent to. The caller holds the lead's lock. False when nothing was to be done."""
    if not lead.awaits_contact:
        return False
    if not LeadMatch.objects.filter(pk=match.pk, rerouted_at__isnull=True).update(rerouted_at=now):
        return False
    routed = set(lead.matches.values_list("specialist_id", flat=True))
    # The patient agreed to be contacted by the specialists they chose, by name: another
    # one is not sent on their behalf, the network team calls them instead.
    found = (
        []
        if match.chosen_by_patient
        else routing_candidates(
            place=zip_place(lead.zip),
            treatment=lead.treatment,
            count=1,
            now=now,
            exclude=routed,
            language=lead.language,
        )
    )
    if not found:
        if not lead.needs_network_attention:
            lead.needs_network_attention = True
            lead.save(update_fields=["needs_network_attention", "updated_at"])
        outbox_add_once(outbox_message(kind=Kind.NETWORK_ALERT, lead=lead, due_at=now))
        return True
    [(specialist_id, distance)] = found
    rank = lead.matches.aggregate(last=Max("rank"))["last"] + 1
    LeadMatch.objects.create(
        lead=lead,
        specialist_id=specialist_id,
        rank=rank,
        distance=distance,
        created_at=now,
        respond_by=respond_by_for(now),
    )
    outbox_add(
        [
            outbox_message(
                kind=Kind.PROVIDER_NOTIFICATION,
                lead=lead,
                specialist_id=specialist_id,
                due_at=now,
            ),
            outbox_message(
                kind=Kind.PATIENT_REROUTED, lead=lead, specialist_id=specialist_id, due_at=now
            ),
        ]
    )
    return True
