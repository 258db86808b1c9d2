"""The closed loop with providers: answers through the signed link, re-routing on can't
help or silence, weekly capacity, and the patient told who calls instead."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from leads.emails import message_email
from leads.models import Lead, LeadMatch, OutboundMessage
from leads.responses import lead_match_answer, routing_overdue_sweep
from leads.services import lead_status_set
from leads.tokens import lead_match_from_token
from marketing.selectors import funnel_report

from .conftest import specialist_at

pytestmark = pytest.mark.django_db

Kind = OutboundMessage.Kind
Status = OutboundMessage.Status
Outcome = LeadMatch.Outcome


@pytest.fixture
def routed(post_lead, lead_payload, settings):
    """A lead routed to the nearest of four specialists (ROUTING_LIMIT is 3 by default; one
    is enough here and leaves three to re-route to)."""
    settings.PROVIDER_RESPONSE_HOURS = 8
    doctors = [specialist_at(miles, email=f"doc{miles}@clinic.example") for miles in (1, 2, 3, 4)]
    post_lead(lead_payload)
    lead = Lead.objects.get()
    return lead, doctors


def answer(match, outcome, reason="", **kwargs):
    return lead_match_answer(match=match, outcome=outcome, reason=reason, **kwargs)


def test_each_routing_is_due_an_answer_and_its_email_links_to_it(routed):
    lead, _ = routed
    first = lead.matches.get(rank=1)
    assert first.respond_by > first.created_at
    notification = next(m for m in mail.outbox if m.to == ["doc1@clinic.example"])
    # Tokens carry their signing time, so read the one the email carries rather than
    # signing another (which differs once the clock has ticked a second).
    prefix = reverse("provider-lead", args=["TOKEN"]).split("TOKEN")[0]
    for part in (notification.body, notification.alternatives[0][0]):
        token = re.search(re.escape(prefix) + r"([^/\s\"]+)/", part).group(1)
        assert lead_match_from_token(token) == first
        # The link names no row: neither the lead's id nor the routing's.
        assert str(lead.pk) not in token and f":{first.pk}:" not in token


def test_contacted_moves_the_lead_and_cancels_its_followups(
    routed, django_capture_on_commit_callbacks
):
    lead, _ = routed
    match = lead.matches.get(rank=1)

    assert answer(match, Outcome.CONTACTED)

    lead.refresh_from_db()
    match.refresh_from_db()
    assert lead.status == Lead.Status.CONTACTED
    assert lead.first_contacted_at == match.answered_at
    assert not lead.messages.filter(kind__in=OutboundMessage.FOLLOWUP_KINDS, status=Status.PENDING)


def test_scheduled_after_contacted_moves_on_but_contacted_never_moves_back(routed):
    lead, _ = routed
    first, second, _ = lead.matches.order_by("rank")
    answer(first, Outcome.SCHEDULED)
    answer(second, Outcome.CONTACTED)

    lead.refresh_from_db()
    assert lead.status == Lead.Status.SCHEDULED


def test_an_answer_is_recorded_once(routed):
    lead, _ = routed
    match = lead.matches.get(rank=1)

    assert answer(match, Outcome.CANT_HELP, LeadMatch.Reason.NOT_ACCEPTING)
    assert not answer(match, Outcome.SCHEDULED)
    assert not answer(match, Outcome.CANT_HELP, LeadMatch.Reason.OTHER)

    match.refresh_from_db()
    assert (match.outcome, match.cant_help_reason) == (Outcome.CANT_HELP, "not_accepting")
    # One re-route, not three.
    assert lead.matches.count() == 4


def test_cant_help_routes_to_the_next_nearest_and_tells_the_patient(
    routed, django_capture_on_commit_callbacks
):
    lead, doctors = routed
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer(lead.matches.get(rank=2), Outcome.CANT_HELP, LeadMatch.Reason.OUT_OF_NETWORK)

    second = lead.matches.get(rank=2)
    assert second.rerouted_at is not None
    new = lead.matches.get(rank=4)
    assert new.specialist == doctors[3]
    assert new.respond_by is not None
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["doc4@clinic.example", "pat@example.com"]
    told = next(m for m in mail.outbox if m.to == ["pat@example.com"])
    assert doctors[3].display_name in told.body
    assert doctors[3].display_name in told.alternatives[0][0]
    assert told.subject == "Another specialist will call you"


def test_nobody_left_to_route_to_tells_the_network_team(routed, settings):
    lead, _ = routed
    settings.NETWORK_INBOX_EMAIL = "team@network.example"
    matches = list(lead.matches.order_by("rank"))
    for match in matches:
        answer(match, Outcome.CANT_HELP, LeadMatch.Reason.OTHER)
    answer(lead.matches.get(rank=4), Outcome.CANT_HELP, LeadMatch.Reason.OTHER)

    lead.refresh_from_db()
    assert lead.matches.count() == 4
    assert lead.needs_network_attention
    assert lead.messages.filter(kind=Kind.NETWORK_ALERT).count() == 1


def test_silence_past_the_window_reroutes_once(routed):
    lead, _ = routed
    first = lead.matches.get(rank=1)
    later = first.respond_by + datetime.timedelta(minutes=1)

    assert routing_overdue_sweep(now=first.respond_by - datetime.timedelta(minutes=1)) == 0
    assert routing_overdue_sweep(now=later) == 3
    assert routing_overdue_sweep(now=later) == 0

    assert lead.matches.filter(rerouted_at__isnull=False).count() == 3
    # Only doctor 4 was left: two of the silent routings found nobody.
    assert lead.matches.count() == 4
    assert lead.messages.filter(kind=Kind.PATIENT_REROUTED).count() == 1


def test_the_sweep_leaves_answered_and_reached_leads_alone(routed):
    lead, _ = routed
    answer(lead.matches.get(rank=1), Outcome.CONTACTED)
    later = timezone.now() + datetime.timedelta(days=7)

    assert routing_overdue_sweep(now=later) == 0
    assert lead.matches.count() == 3


def test_an_admin_status_counts_as_the_first_contact(routed):
    lead, _ = routed
    lead_status_set(lead=lead, status=Lead.Status.SCHEDULED)
    first = lead.first_contacted_at
    lead_status_set(lead=lead, status=Lead.Status.CONTACTED)

    lead.refresh_from_db()
    assert first is not None and lead.first_contacted_at == first


def test_a_specialist_at_weekly_capacity_is_skipped(post_lead, lead_payload):
    full = specialist_at(1, weekly_capacity=1, email="full@clinic.example")
    room = specialist_at(2, weekly_capacity=2)
    closed = specialist_at(3, accepting_new_patients=False)
    post_lead(lead_payload)
    post_lead({**lead_payload, "email": "other@example.com"})

    first, second = Lead.objects.order_by("created_at")
    assert {m.specialist for m in first.matches.all()} == {full, room}
    assert {m.specialist for m in second.matches.all()} == {room}
    assert not LeadMatch.objects.filter(specialist=closed).exists()


def test_capacity_counts_only_the_last_seven_days(post_lead, lead_payload):
    doctor = specialist_at(1, weekly_capacity=1)
    post_lead(lead_payload)
    LeadMatch.objects.update(created_at=timezone.now() - datetime.timedelta(days=8))

    post_lead({**lead_payload, "email": "other@example.com"})

    assert LeadMatch.objects.filter(specialist=doctor).count() == 2


def test_a_spanish_patient_is_told_in_spanish(
    post_lead, lead_payload, django_capture_on_commit_callbacks
):
    for miles in (1, 2, 3, 4):
        specialist_at(miles)
    post_lead(lead_payload, HTTP_ACCEPT_LANGUAGE="es")
    lead = Lead.objects.get()
    assert lead.language == "es"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer(lead.matches.get(rank=1), Outcome.CANT_HELP, LeadMatch.Reason.OTHER)
    told = next(m for m in mail.outbox if m.to == ["pat@example.com"])
    assert told.extra_headers["Content-Language"] == "es"


def test_the_funnel_counts_the_loop(routed):
    lead, _ = routed
    answer(lead.matches.get(rank=1), Outcome.CANT_HELP, LeadMatch.Reason.NOT_ACCEPTING)
    answer(
        lead.matches.get(rank=4),
        Outcome.SCHEDULED,
        now=lead.created_at + datetime.timedelta(hours=3),
    )

    day = timezone.localdate(lead.created_at)
    [row] = funnel_report(start=day, end=day)
    assert (row.leads, row.contacted, row.scheduled, row.cant_help, row.rerouted) == (1, 1, 1, 1, 1)
    assert row.median_hours_to_first_contact == 3


def test_routings_silent_together_make_one_reroute_and_one_email_naming_everyone(
    post_lead, lead_payload
):
    doctors = [specialist_at(miles, email=f"doc{miles}@clinic.example") for miles in range(1, 7)]
    post_lead(lead_payload)
    lead = Lead.objects.get()
    later = lead.matches.get(rank=1).respond_by + datetime.timedelta(minutes=1)

    assert routing_overdue_sweep(now=later) == 3

    assert [m.specialist for m in lead.matches.filter(rank__gt=3)] == doctors[3:]
    notified = lead.messages.filter(kind=Kind.PROVIDER_NOTIFICATION, due_at=later)
    assert sorted(m.specialist_id for m in notified) == [d.pk for d in doctors[3:]]
    # The sweep's clock is ahead of the outbox's: build the email as it will be sent.
    (rerouted,) = lead.messages.filter(kind=Kind.PATIENT_REROUTED)
    told = message_email(rerouted)
    names = [doctor.display_name for doctor in doctors[3:]]
    assert told.to == ["pat@example.com"]
    assert f"passed it on to {names[0]}, {names[1]} and {names[2]}, who will call you" in " ".join(
        told.body.split()
    )
    assert all(name in told.alternatives[0][0] for name in names)
    assert all(doctor.get_absolute_url() in told.body for doctor in doctors[3:])
    assert not Lead.objects.get().needs_network_attention


def test_a_later_reroute_of_the_same_lead_is_its_own_email(
    post_lead, lead_payload, django_capture_on_commit_callbacks
):
    doctors = [specialist_at(miles) for miles in range(1, 6)]
    post_lead(lead_payload)
    lead = Lead.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        answer(lead.matches.get(rank=1), Outcome.CANT_HELP, LeadMatch.Reason.OTHER)
        answer(lead.matches.get(rank=2), Outcome.CANT_HELP, LeadMatch.Reason.OTHER)

    rerouted = lead.messages.filter(kind=Kind.PATIENT_REROUTED).order_by("id")
    assert [m.specialist for m in rerouted] == doctors[3:]
    told = [m for m in mail.outbox if m.subject == "Another specialist will call you"]
    assert [doctors[3].display_name in m.body for m in told] == [True, False]
    assert [doctors[4].display_name in m.body for m in told] == [False, True]
