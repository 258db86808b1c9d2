"""The closed loop with providers on the real stack: PostgreSQL, Redis, a Celery worker with
its beat, and an SMTP sink. Specialists answer through the link in the email they got."""

import datetime
import re
import time

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from leads.models import Lead, LeadMatch, OutboundMessage
from marketing.selectors import funnel_report
from specialists.models import Board, Treatment
from tests.factories import make_specialist

from .test_outbox_delivery import LEAD

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LINK = re.compile(r"http://\S+/provider/lead/[^/\s]+/")


@pytest.fixture
def doctors():
    """Five specialists near ZIP 10001, nearest first: a lead goes to the first three."""
    Board.objects.get_or_create(
        code="ABOS", defaults={"name": "American Board of Orthopaedic Surgery"}
    )
    Treatment.objects.get_or_create(
        slug="spinal-cord-stimulation", defaults={"name": "Spinal cord stimulation", "summary": "-"}
    )
    return [
        make_specialist(latitude=40.75 + n / 100, longitude=-73.99, email=f"doc{n}@clinic.example")
        for n in range(1, 6)
    ]


def email_to(sink, address: str, *, containing: str = "", timeout: float = 20) -> str:
    """The plain-text body of the first email the sink got for ``address`` (that contains
    ``containing``), waiting up to ``timeout`` seconds for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for received in list(sink.received):
            if received.rcpt_to == [address]:
                [plain] = [
                    part
                    for part in received.message.walk()
                    if part.get_content_type() == "text/plain"
                ]
                body = plain.get_payload(decode=True).decode()
                if containing in body:
                    return body
        time.sleep(0.1)
    raise AssertionError(f"no email to {address}: {[r.rcpt_to for r in sink.received]}")


def click(link: str, **answer) -> int:
    """The specialist opens the link and presses one button, CSRF token and all."""
    browser = Client(enforce_csrf_checks=True)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = browser.get(f"/{path}").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return browser.post(f"/{path}", {"csrfmiddlewaretoken": token, **answer}).status_code


def test_cant_help_goes_to_the_next_specialist_who_schedules(start_worker, sink, doctors):
    worker = start_worker()
    response = APIClient().post("/api/v1/leads/", LEAD, format="json")
    assert response.status_code == 201
    lead = Lead.objects.get(pk=response.json()["id"])

    first_link = LINK.search(email_to(sink, "doc1@clinic.example")).group(0)
    assert click(first_link, outcome="cant_help", reason="not_accepting") == 302

    fourth_email = email_to(sink, "doc4@clinic.example")
    told = email_to(sink, "pat@example.com", containing="passed it on to")
    assert doctors[3].display_name in told
    assert len([r for r in sink.received if r.rcpt_to == ["pat@example.com"]]) == 2, worker.output()

    assert click(LINK.search(fourth_email).group(0), outcome="scheduled") == 302

    lead.refresh_from_db()
    assert lead.status == Lead.Status.SCHEDULED
    followups = lead.messages.filter(kind__in=OutboundMessage.FOLLOWUP_KINDS)
    assert {m.status for m in followups} == {OutboundMessage.Status.CANCELLED}
    # The first link now shows the answer it gave, and no buttons to give another.
    again = Client().get("/" + first_link.split("://", 1)[1].split("/", 1)[1]).content.decode()
    assert "Your answer: <strong>Can&#x27;t help</strong>" in again
    assert 'method="post"' not in again
    assert list(lead.matches.order_by("rank").values_list("outcome", flat=True)) == [
        LeadMatch.Outcome.CANT_HELP,
        "",
        "",
        LeadMatch.Outcome.SCHEDULED,
    ]
    today = timezone.localdate()
    [row] = funnel_report(start=today, end=today)
    assert (row.leads, row.contacted, row.scheduled, row.cant_help, row.rerouted) == (1, 1, 1, 1, 1)
    assert row.median_hours_to_first_contact is not None


def test_a_request_nobody_answers_in_time_goes_to_the_next_specialist(start_worker, sink, doctors):
    start_worker(ROUTING_SWEEP_SECONDS="1")
    response = APIClient().post("/api/v1/leads/", LEAD, format="json")
    lead = Lead.objects.get(pk=response.json()["id"])
    email_to(sink, "doc1@clinic.example")
    email_to(sink, "pat@example.com")
    assert not sink_has(sink, "doc4@clinic.example")

    # The clock moves past the two nearest specialists' window: beat's sweep re-routes
    # both at once, and the patient hears once, of both who will call instead.
    LeadMatch.objects.filter(lead=lead, rank__in=[1, 2]).update(
        respond_by=timezone.now() - datetime.timedelta(minutes=1)
    )

    assert "Hello" in email_to(sink, "doc4@clinic.example")
    assert "Hello" in email_to(sink, "doc5@clinic.example")
    told = email_to(sink, "pat@example.com", containing="passed it on to")
    assert doctors[3].display_name in told and doctors[4].display_name in told
    silent = LeadMatch.objects.filter(lead=lead, rank__in=[1, 2])
    assert all(m.rerouted_at is not None and m.outcome == "" for m in silent)
    assert lead.matches.count() == 5
    assert lead.messages.filter(kind=OutboundMessage.Kind.PATIENT_REROUTED).count() == 1
    time.sleep(2)  # another sweep or two: nothing more goes out
    assert len([r for r in sink.received if r.rcpt_to == ["pat@example.com"]]) == 2


def sink_has(sink, address: str) -> bool:
    return any(r.rcpt_to == [address] for r in sink.received)
