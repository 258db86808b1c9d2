"""POST /api/v1/leads/ with the specialists the patient chose, routing that skips those not
accepting new patients, and phone extensions kept."""

import pytest
from django.core import mail

from leads.consent import CONSENT_TEXT
from leads.models import Lead, LeadMatch, OutboundMessage
from leads.responses import lead_match_answer, routing_overdue_sweep
from specialists.models import Specialist

from .conftest import specialist_at

pytestmark = pytest.mark.django_db

Kind = OutboundMessage.Kind


def notified(lead) -> list[int]:
    return sorted(
        OutboundMessage.objects.filter(lead=lead, kind=Kind.PROVIDER_NOTIFICATION).values_list(
            "specialist_id", flat=True
        )
    )


def test_routing_skips_specialists_not_accepting_new_patients(post_lead, lead_payload):
    specialist_at(0.5, accepting_new_patients=False)
    accepting = [specialist_at(miles) for miles in (1, 2, 3, 4)]

    body = post_lead(lead_payload).json()

    assert [m["id"] for m in body["matches"]] == [s.id for s in accepting[:3]]
    lead = Lead.objects.get()
    assert not lead.matches.filter(chosen_by_patient=True).exists()
    assert lead.consent_text == CONSENT_TEXT


def test_the_request_goes_to_the_chosen_specialists_only_nearest_first(post_lead, lead_payload):
    nearest = specialist_at(1, email="nearest@clinic.example")
    far = specialist_at(80, first_name="Far", last_name="Away", email="far@clinic.example")
    near = specialist_at(5, first_name="Near", last_name="By", email="near@clinic.example")

    response = post_lead({**lead_payload, "specialists": [far.id, near.id, far.id]})

    assert response.status_code == 201
    assert [m["id"] for m in response.json()["matches"]] == [near.id, far.id]
    lead = Lead.objects.get()
    assert list(lead.matches.values_list("specialist_id", "rank", "chosen_by_patient")) == [
        (near.id, 1, True),
        (far.id, 2, True),
    ]
    assert 79.5 < LeadMatch.objects.get(specialist=far).distance < 80.5
    assert notified(lead) == sorted([near.id, far.id])
    assert nearest.id not in notified(lead)
    # Named in the order the patient saw them ticked.
    assert "the specialists I chose (Far Away, MD and Near By, MD)" in lead.consent_text
    notifications = [m for m in mail.outbox if m.subject.startswith("New patient request")]
    assert sorted(m.to[0] for m in notifications) == ["far@clinic.example", "near@clinic.example"]
    assert all("they chose you" in m.body for m in notifications)
    (confirmation,) = [m for m in mail.outbox if m.to == ["pat@example.com"]]
    assert "We have sent it to the specialists you chose:" in confirmation.body
    assert "Phone: (212) 555-0100" in confirmation.body
    html = confirmation.alternatives[0][0]
    assert 'href="tel:+12125550100"' in html


@pytest.mark.parametrize(
    ("specialists", "message"),
    [
        ("12", "Give a list of specialist ids."),
        (["12"], "Give a list of specialist ids."),
        ([True], "Give a list of specialist ids."),
        ([1.5], "Give a list of specialist ids."),
        ([0], "Give a list of specialist ids."),
        (list(range(1, 7)), "Choose at most 5 specialists."),
    ],
)
def test_a_malformed_choice_is_a_400_on_specialists(post_lead, lead_payload, specialists, message):
    response = post_lead({**lead_payload, "specialists": specialists})
    assert response.status_code == 400
    assert response.json() == {"specialists": [message]}
    assert Lead.objects.count() == 0


def test_each_chosen_specialist_must_qualify_and_accept_new_patients(post_lead, lead_payload):
    full = specialist_at(1, first_name="Full", last_name="Book", accepting_new_patients=False)
    inactive = specialist_at(2, active=False)
    other_treatment = specialist_at(3, treatments=("nerve-block",))
    fine = specialist_at(4)

    response = post_lead(
        {**lead_payload, "specialists": [full.id, inactive.id, other_treatment.id, fine.id, 999999]}
    )

    assert response.status_code == 400
    assert response.json() == {
        "specialists": [
            "Full Book, MD is not accepting new patients.",
            f"Specialist {inactive.id} is not a board-certified specialist in our directory "
            "who offers spinal cord stimulation.",
            f"Specialist {other_treatment.id} is not a board-certified specialist in our "
            "directory who offers spinal cord stimulation.",
            "Specialist 999999 is not a board-certified specialist in our directory who offers "
            "spinal cord stimulation.",
        ]
    }
    assert Lead.objects.count() == 0


def test_the_same_request_to_other_doctors_is_a_new_lead(post_lead, lead_payload):
    first, second = specialist_at(1), specialist_at(2)
    one = post_lead({**lead_payload, "specialists": [first.id]})
    again = post_lead({**lead_payload, "specialists": [first.id]})
    other = post_lead({**lead_payload, "specialists": [second.id]})
    assert (one.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json()["id"] == one.json()["id"] != other.json()["id"]


@pytest.mark.parametrize(
    ("typed", "e164", "extension", "shown"),
    [
        ("212-555-0142 ext. 12", "+12125550142", "12", "(212) 555-0142 ext. 12"),
        ("(212) 555-0142 x7", "+12125550142", "7", "(212) 555-0142 ext. 7"),
        ("+1 212 555 0142", "+12125550142", "", "(212) 555-0142"),
    ],
)
def test_a_phone_extension_is_kept_and_shown_to_the_office(
    post_lead, lead_payload, typed, e164, extension, shown
):
    specialist_at(1, email="office@clinic.example")
    assert post_lead({**lead_payload, "phone": typed}).status_code == 201
    lead = Lead.objects.get()
    assert (lead.phone, lead.phone_extension) == (e164, extension)
    (notification,) = [m for m in mail.outbox if m.to == ["office@clinic.example"]]
    assert f"Phone: {shown}" in notification.body
    tel = f"tel:{e164},{extension}" if extension else f"tel:{e164}"
    assert f'href="{tel}"' in notification.alternatives[0][0]


def test_an_extension_too_long_and_a_message_too_long_are_refused_not_cut(post_lead, lead_payload):
    response = post_lead(
        {**lead_payload, "phone": "212-555-0142 ext. 12345678901", "message": "x" * 2001}
    )
    assert response.status_code == 400
    assert response.json() == {
        "phone": ["Enter an extension of at most 10 digits."],
        "message": ["Please keep your message to 2000 characters or fewer (it has 2001)."],
    }


def test_when_the_choice_runs_out_the_request_goes_to_the_nearest_other_specialist(
    post_lead, lead_payload, django_capture_on_commit_callbacks
):
    """The consent a patient who chose agrees to names their choice, then another nearby
    specialist should none of them help."""
    chosen = specialist_at(3, email="chosen@clinic.example")
    silent = specialist_at(4, email="silent@clinic.example")
    nearer = specialist_at(1, email="nearer@clinic.example")
    post_lead({**lead_payload, "specialists": [chosen.id, silent.id]})
    lead = Lead.objects.get()
    assert "If none of them can help" in lead.consent_text
    first = lead.matches.get(rank=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert lead_match_answer(match=first, outcome=LeadMatch.Outcome.CANT_HELP)

    lead.refresh_from_db()
    third = lead.matches.get(rank=3)
    assert (third.specialist, third.chosen_by_patient) == (nearer, False)
    assert not lead.needs_network_attention
    assert [m for m in mail.outbox if m.to == ["nearer@clinic.example"]]


def test_a_lead_whose_consent_named_the_chosen_alone_goes_to_the_network_team(
    post_lead, lead_payload, django_capture_on_commit_callbacks
):
    """Leads stored under the earlier wording, which agreed to the chosen specialists and
    nobody else, are never sent to anyone else."""
    chosen = specialist_at(3, email="chosen@clinic.example")
    silent = specialist_at(4, email="silent@clinic.example")
    specialist_at(1, email="nearer@clinic.example")  # routing would pick this one
    post_lead({**lead_payload, "specialists": [chosen.id, silent.id]})
    Lead.objects.update(consent_version="2026-11-26-chosen")
    lead = Lead.objects.get()
    first, second = lead.matches.order_by("rank")

    with django_capture_on_commit_callbacks(execute=True):
        assert lead_match_answer(match=first, outcome=LeadMatch.Outcome.CANT_HELP)
        routing_overdue_sweep(now=second.respond_by)

    lead.refresh_from_db()
    assert list(lead.matches.values_list("specialist_id", flat=True)) == [chosen.id, silent.id]
    assert lead.needs_network_attention
    assert OutboundMessage.objects.filter(lead=lead, kind=Kind.NETWORK_ALERT).count() == 1
    assert not [m for m in mail.outbox if m.to == ["nearer@clinic.example"]]


def test_a_chosen_specialist_at_weekly_capacity_waits_like_any_other(post_lead, lead_payload):
    """The capacity rule is routing's, whoever picked the specialist: a chosen one at
    capacity is not sent the request when it arrives, and is kept as the patient's choice."""
    room = specialist_at(3, email="room@clinic.example")
    full = specialist_at(2, weekly_capacity=0, email="full@clinic.example")

    response = post_lead({**lead_payload, "specialists": [full.id, room.id]})

    assert response.status_code == 201
    assert [m["id"] for m in response.json()["matches"]] == [room.id]
    lead = Lead.objects.get()
    assert notified(lead) == [room.id]
    assert set(lead.chosen_specialists.all()) == {full, room}
    assert not [m for m in mail.outbox if m.to == ["full@clinic.example"]]
    # The consent names both: the patient agreed to either calling.
    assert full.display_name in lead.consent_text and room.display_name in lead.consent_text


def test_every_chosen_specialist_at_capacity_goes_to_the_network_team(post_lead, lead_payload):
    full = specialist_at(2, weekly_capacity=0, email="full@clinic.example")
    specialist_at(1, email="nearer@clinic.example")

    assert post_lead({**lead_payload, "specialists": [full.id]}).status_code == 201

    lead = Lead.objects.get()
    assert not lead.matches.exists()
    assert lead.needs_network_attention
    assert notified(lead) == []
    assert OutboundMessage.objects.filter(lead=lead, kind=Kind.NETWORK_ALERT).count() == 1


def test_a_reroute_goes_first_to_the_patients_other_choices_nearest_first(
    post_lead, lead_payload, django_capture_on_commit_callbacks
):
    """Can't help, then silence: each time the nearest chosen specialist the request has
    not gone to (qualifying, accepting, with room by then) takes it, before anybody the
    patient did not name; when the choice runs out, the nearest other who accepts."""
    answering = specialist_at(1, email="first@clinic.example")
    far_waiting = specialist_at(9, weekly_capacity=0, email="far@clinic.example")
    near_waiting = specialist_at(6, weekly_capacity=0, email="near@clinic.example")
    stopped = specialist_at(4, weekly_capacity=0, email="stopped@clinic.example")
    other = specialist_at(2, email="other@clinic.example")  # nearer, not chosen
    chosen = [answering, far_waiting, near_waiting, stopped]
    post_lead({**lead_payload, "specialists": [s.id for s in chosen]})
    lead = Lead.objects.get()
    assert notified(lead) == [answering.id]
    # A week later the waiting ones have room; one has stopped taking new patients.
    Specialist.objects.filter(pk__in=[s.pk for s in chosen]).update(weekly_capacity=None)
    Specialist.objects.filter(pk=stopped.pk).update(accepting_new_patients=False)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        lead_match_answer(
            match=lead.matches.get(), outcome=LeadMatch.Outcome.CANT_HELP, reason="other"
        )

    second = lead.matches.get(rank=2)
    assert (second.specialist, second.chosen_by_patient) == (near_waiting, True)
    assert sorted(m.to[0] for m in mail.outbox) == ["near@clinic.example", "pat@example.com"]
    told = next(m for m in mail.outbox if m.to == ["pat@example.com"])
    assert near_waiting.display_name in told.body

    with django_capture_on_commit_callbacks(execute=True):
        routing_overdue_sweep(now=second.respond_by)
    third = lead.matches.get(rank=3)
    assert (third.specialist, third.chosen_by_patient) == (far_waiting, True)

    with django_capture_on_commit_callbacks(execute=True):
        routing_overdue_sweep(now=third.respond_by)
    fourth = lead.matches.get(rank=4)
    assert (fourth.specialist, fourth.chosen_by_patient) == (other, False)
    assert not LeadMatch.objects.filter(specialist=stopped).exists()
    assert not [m for m in mail.outbox if m.to[0] == "stopped@clinic.example"]


def test_a_waiting_choice_that_no_longer_qualifies_is_passed_over(
    post_lead, lead_payload, django_capture_on_commit_callbacks
):
    answering = specialist_at(1)
    lapsed = specialist_at(2, weekly_capacity=0)
    later = specialist_at(3, weekly_capacity=0)
    post_lead({**lead_payload, "specialists": [answering.id, lapsed.id, later.id]})
    Specialist.objects.filter(pk__in=[lapsed.pk, later.pk]).update(weekly_capacity=None)
    Specialist.objects.filter(pk=lapsed.pk).update(active=False)
    lead = Lead.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        lead_match_answer(match=lead.matches.get(), outcome=LeadMatch.Outcome.CANT_HELP)

    assert lead.matches.get(rank=2).specialist == later
