"""Lead intake under attack: inbox flooding, the dedupe oracle, spoofed client addresses.

Every post here is answered like an honest one (201 with the usual body); what changes is
who gets emailed. Held leads are stored for the admin's "held for review" filter.
"""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from leads.models import Lead, OutboundMessage
from tests.leads.conftest import specialist_at

pytestmark = pytest.mark.django_db

Kind = OutboundMessage.Kind
Hold = Lead.Hold
VICTIM = "victim@example.com"


@pytest.fixture
def offices():
    """Three offices near ZIP 10001 that offer every treatment the tests post."""
    treatments = ("spinal-cord-stimulation", "nerve-block", "spinal-fusion")
    return [
        specialist_at(miles, email=f"office{n}@clinic.example", treatments=treatments)
        for n, miles in enumerate((1, 2, 3), start=1)
    ]


def inbox(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


def main_part(response) -> str:
    """The page's <main> element: what it says, without the head's per-address links."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def provider_emails() -> list:
    return [m for m in mail.outbox if m.to[0].endswith("@clinic.example")]


def test_90_posts_with_one_victims_address_send_one_confirmation(post_lead, lead_payload, offices):
    answers = [
        post_lead(
            {**lead_payload, "email": VICTIM, "phone": f"212-555-{100 + n:04d}"},
            REMOTE_ADDR=f"198.51.100.{n + 1}",
        )
        for n in range(90)
    ]

    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()["id"] for answer in answers}) == 90
    assert len(inbox(VICTIM)) == 1
    assert inbox(VICTIM)[0].subject == "We received your request"
    # The address's first three leads reach the offices; the rest wait for a person.
    assert len(provider_emails()) == 3 * 3
    assert Lead.objects.filter(held_for_review=Hold.EMAIL_LIMIT).count() == 87
    assert not OutboundMessage.objects.filter(lead__held_for_review=Hold.EMAIL_LIMIT).exists()
    # Nothing more is owed to the victim later either: one set of follow-ups.
    assert OutboundMessage.objects.filter(kind__in=OutboundMessage.FOLLOWUP_KINDS).count() == 2


def test_one_phone_under_many_addresses_is_held_after_the_daily_limit(
    post_lead, lead_payload, offices, settings
):
    answers = [
        post_lead(
            {**lead_payload, "email": f"someone{n}@example.com"},
            REMOTE_ADDR=f"198.51.100.{n + 1}",
        )
        for n in range(8)
    ]

    assert {answer.status_code for answer in answers} == {201}
    held = Lead.objects.filter(held_for_review=Hold.PHONE_LIMIT)
    assert held.count() == 8 - settings.LEADS_PER_PHONE_PER_DAY
    assert len(provider_emails()) == 3 * settings.LEADS_PER_PHONE_PER_DAY
    assert not any(inbox(lead.email) for lead in held)


def test_one_client_address_is_held_after_the_daily_limit_and_x_forwarded_for_is_ignored(
    post_lead, lead_payload, offices, settings
):
    settings.LEADS_PER_IP_PER_DAY = 4
    for n in range(6):
        answer = post_lead(
            {**lead_payload, "email": f"p{n}@example.com", "phone": f"212-555-{100 + n:04d}"},
            REMOTE_ADDR="203.0.113.7",
            # Without a trusted proxy (TRUSTED_PROXY_COUNT=0) this header is the client's
            # own claim and must not buy a fresh budget.
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
        assert answer.status_code == 201

    assert list(Lead.objects.order_by("created_at").values_list("held_for_review", flat=True)) == [
        "",
        "",
        "",
        "",
        Hold.IP_LIMIT,
        Hold.IP_LIMIT,
    ]
    assert set(Lead.objects.values_list("consent_ip", flat=True)) == {"203.0.113.7"}


def test_behind_a_trusted_proxy_the_limit_is_per_forwarded_client(
    post_lead, lead_payload, offices, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LEADS_PER_IP_PER_DAY = 1
    for n in range(3):
        post_lead(
            {**lead_payload, "email": f"p{n}@example.com", "phone": f"212-555-{100 + n:04d}"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )

    assert not Lead.objects.exclude(held_for_review="").exists()


def test_the_dedupe_answer_is_no_oracle(lead_payload, offices, django_capture_on_commit_callbacks):
    """The attacker knows the victim's email, phone and ZIP and guesses the treatment."""
    victim, attacker = APIClient(), APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        victims_id = victim.post("/api/v1/leads/", lead_payload, format="json").json()["id"]
    emails_before = len(mail.outbox)

    answers = {}
    for guess in ("nerve-block", "spinal-fusion", "spinal-cord-stimulation"):
        with django_capture_on_commit_callbacks(execute=True):
            answers[guess] = attacker.post(
                "/api/v1/leads/", {**lead_payload, "treatment": guess}, format="json"
            )

    # Every guess, right or wrong, gets the same answer: the contract's 200 for a repeated
    # request, with an id that opens nothing and no matches to read a treatment from.
    assert {answer.status_code for answer in answers.values()} == {200}
    for answer in answers.values():
        assert answer.json() == {"id": victims_id, "status": "new", "matches": []}
    assert Lead.objects.count() == 1
    # Nobody is emailed again: not the victim, not the offices.
    assert len(mail.outbox) == emails_before
    assert len(inbox(lead_payload["email"])) == 1

    # The victim's thank-you page, even with its id, is the generic one for the attacker.
    stranger_view = attacker.get(f"/thanks/{victims_id}/")
    owner_view = victim.get(f"/thanks/{victims_id}/").content.decode()
    assert offices[0].display_name in owner_view
    assert "ZIP 10001" in owner_view
    assert stranger_view.status_code == 200
    assert main_part(stranger_view) == main_part(attacker.get("/thanks/"))
    # Resubmitting from the victim's own browser is still recognised as the same request.
    again = victim.post("/api/v1/leads/", lead_payload, format="json")
    assert (again.status_code, again.json()["id"]) == (200, victims_id)


def test_a_receipt_cookie_cannot_be_forged_or_reused_for_another_lead(
    post_lead, lead_payload, offices, client
):
    lead_id = post_lead(lead_payload).json()["id"]
    client.cookies["lead_receipt"] = lead_id.replace("-", "")  # unsigned

    page = client.get(f"/thanks/{lead_id}/").content.decode()

    assert offices[0].display_name not in page
    assert "Thank you" in page


def test_the_find_form_from_another_browser_learns_nothing_of_the_first(
    client, lead_payload, offices
):
    form = {**lead_payload, "consent": "on", "website": ""}
    first = client.post("/find/", form)
    stranger = APIClient()

    second = stranger.post("/find/", {**form, "treatment": "nerve-block"})

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]  # the same, open request
    assert offices[0].display_name in client.get(first["Location"]).content.decode()
    assert offices[0].display_name not in stranger.get(second["Location"]).content.decode()


def test_releasing_a_held_lead_notifies_its_offices_but_not_the_patient(
    post_lead, lead_payload, offices, settings, admin_client, django_capture_on_commit_callbacks
):
    settings.LEADS_PER_IP_PER_DAY = 0
    post_lead(lead_payload)
    held = Lead.objects.get()
    assert (held.held_for_review, mail.outbox) == (Hold.IP_LIMIT, [])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/leads/lead/", {"action": "release", "_selected_action": [held.pk]}
        )

    assert response.status_code == 302
    held.refresh_from_db()
    assert held.held_for_review == ""
    assert sorted(m.to[0] for m in mail.outbox) == sorted(o.email for o in offices)
    assert admin_client.get("/admin/leads/lead/?held_for_review__exact=ip_limit").status_code == 200
