"""The closed loop with providers: each routed specialist answers through the signed link in
their email, and a request nobody can take goes on to the next specialist.

- *Contacted* or *scheduled* moves the lead on (``lead_status_set``: follow-ups cancelled).
- *Can't help*, or no answer by the routing's ``respond_by`` (``routing_overdue_sweep``,
  run by beat), re-routes (``services.reroute_candidates``): the patient's other chosen
  specialists not sent it yet first, then the nearest routable others unless the patient
  named who may call. Each new specialist gets a notification, and the patient one email
  per re-route naming every one of them (the sweep re-routes all of a lead's silent
  routings at once). Nobody left: the network team is told.

Each routing is answered at most once and re-routed at most once: both are conditional
UPDATEs made while the lead's row is locked, so a double click, a reused link and the
sweep racing an answer all leave one outcome and at most one re-route.
"""

import datetime

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from .models import Lead, LeadMatch, OutboundMessage
from .outbox import outbox_add, outbox_add_once, outbox_message
from .services import lead_status_set, reroute_candidates, respond_by_for

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
            _reroute(lead=lead, failed=[match], now=now)
        else:
            status, moves_from = OUTCOME_STATUS[outcome]
            if lead.status in moves_from:
                lead_status_set(lead=lead, status=status, now=now)
    return True


def routing_overdue_sweep(*, now: datetime.datetime | None = None, limit: int = 200) -> int:
    """Re-route every routing not answered by its ``respond_by`` while its lead still awaits
    contact (``LeadMatch.objects.overdue``), a lead's silent routings together as one
    re-route (one email to the patient); returns how many routings went on (a specialist
    found or not). Looks at ``limit`` leads a run. Safe to run anywhere, any number of
    times."""
    now = now or timezone.now()
    lead_ids = list(
        LeadMatch.objects.overdue(now=now)
        .values("lead_id")
        .annotate(first_due=Min("respond_by"))
        .order_by("first_due")
        .values_list("lead_id", flat=True)[:limit]
    )
    rerouted = 0
    for lead_id in lead_ids:
        with transaction.atomic():
            lead = Lead.objects.select_for_update().get(pk=lead_id)
            # Read under the lock: an answer may have come in since the list was taken.
            silent = list(lead.matches.overdue(now=now))
            rerouted += _reroute(lead=lead, failed=silent, now=now)
    return rerouted


def _reroute(*, lead: Lead, failed: list[LeadMatch], now: datetime.datetime) -> int:
    """Send ``lead`` on from the routings in ``failed`` (one can't-help, or the silent ones
    a sweep found together): one new specialist for each, from ``reroute_candidates``, and
    one email to the patient naming them all. The caller holds the lead's lock. Returns
    how many routings went on (0 when nothing was to be done)."""
    if not lead.awaits_contact:
        return 0
    failed = [
        match
        for match in failed
        if LeadMatch.objects.filter(pk=match.pk, rerouted_at__isnull=True).update(rerouted_at=now)
    ]
    if not failed:
        return 0
    found = reroute_candidates(lead=lead, count=len(failed), now=now)
    if found:
        chosen = set(lead.chosen_specialists.values_list("pk", flat=True))
        last = lead.matches.aggregate(last=Max("rank"))["last"]
        LeadMatch.objects.bulk_create(
            LeadMatch(
                lead=lead,
                specialist_id=specialist_id,
                rank=rank,
                distance=distance,
                chosen_by_patient=specialist_id in chosen,
                created_at=now,
                respond_by=respond_by_for(now),
            )
            for rank, (specialist_id, distance) in enumerate(found, start=last + 1)
        )
        notifications = [
            outbox_message(
                kind=Kind.PROVIDER_NOTIFICATION, lead=lead, specialist_id=specialist_id, due_at=now
            )
            for specialist_id, _ in found
        ]
        # Named by the nearest new specialist; the email names every routing made with it.
        told = outbox_message(
            kind=Kind.PATIENT_REROUTED, lead=lead, specialist_id=found[0][0], due_at=now
        )
        outbox_add([*notifications, told])
    if len(found) < len(failed):
        if not lead.needs_network_attention:
            lead.needs_network_attention = True
            lead.save(update_fields=["needs_network_attention", "updated_at"])
        outbox_add_once(outbox_message(kind=Kind.NETWORK_ALERT, lead=lead, due_at=now))
    return len(failed)
