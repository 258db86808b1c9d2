"""A patient on a phone chooses their doctor: "Austin, TX", three filters, the second page,
a profile, and a request that reaches that doctor and nobody else."""

import re

import pytest
from django.core import mail

from leads.models import Lead
from tests.factories import make_specialist

from .conftest import PHONE, step_two_send

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# ZIP 78703's centroid, which "Austin, TX" stands for; a tenth of a degree is ~6.9 miles.
AUSTIN = (30.2907, -97.7648)


def austin_specialist(miles_north: float, **fields):
    defaults = {
        "city": "Austin",
        "state": "TX",
        "zip": "78703",
        "phone": "+15125550100",
        "languages": "en;es",
        "accepting_new_patients": True,
        "insurance": ("medicare", "aetna"),
    }
    defaults.update(fields)
    return make_specialist(
        latitude=AUSTIN[0] + miles_north / 69.0, longitude=AUSTIN[1], **defaults
    )


@pytest.fixture
def austin():
    """Fourteen Spanish-speaking specialists accepting new patients who take Medicare, one
    to fourteen miles north, and nearer ones who each lack one of the three."""
    matching = [
        austin_specialist(
            miles, first_name="Dr", last_name=f"Match{miles:02d}", email=f"m{miles}@clinic.example"
        )
        for miles in range(1, 15)
    ]
    austin_specialist(0.2, last_name="English", languages="en", email="en@clinic.example")
    austin_specialist(0.3, last_name="Full", accepting_new_patients=False)
    austin_specialist(0.4, last_name="Aetna", insurance=("aetna",))
    return matching


def result_names(page) -> list[str]:
    """The cards' headings as read aloud: the number matching the map, then the name."""
    return [" ".join(text.split()) for text in page.locator(".results h3").all_text_contents()]


def test_a_phone_patient_filters_pages_and_asks_the_doctor_they_chose(
    live_server, page_at, austin
):
    page = page_at(PHONE)
    page.goto(f"{live_server.url}/find/")
    page.get_by_label("ZIP code").fill("Austin, TX")
    page.get_by_role("button", name="Find specialists").click()
    page.wait_for_url(re.compile(r"/find/\?"))
    assert page.get_by_role("heading", level=1).inner_text() == "Spine specialists near Austin, TX"
    # On a phone the search (and its filters) comes before the results.
    form_top = page.locator("#find-specialist").bounding_box()["y"]
    assert form_top < page.locator(".results").bounding_box()["y"]
    assert "17 board-certified specialists" in page.locator(".result-summary").inner_text()

    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Accepting new patients").check()
    page.get_by_label("Language spoken").select_option(label="Spanish")
    page.get_by_label("Insurance accepted").select_option(label="Medicare")
    page.get_by_role("button", name="Find specialists").click()
    page.wait_for_url(re.compile(r"insurance=medicare"))
    summary = page.locator(".result-summary")
    assert summary.get_attribute("aria-live") == "polite"
    assert "14 board-certified specialists within 50 miles" in summary.inner_text()
    assert "Showing 1–10 of 14." in summary.inner_text()
    assert result_names(page) == [f"{n}. Dr Match{n:02d}, MD" for n in range(1, 11)]
    assert page.locator(".results-map svg[role=img] title").count() == 1

    page.get_by_role("link", name="Next").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert "Showing 11–14 of 14." in page.locator(".result-summary").inner_text()
    assert result_names(page) == [f"{n}. Dr Match{n:02d}, MD" for n in range(11, 15)]

    chosen = austin[11]  # Dr Match12, the second on page 2
    page.get_by_role("link", name="12. Dr Match12, MD").click()
    page.wait_for_url(re.compile(re.escape(chosen.get_absolute_url())))
    page.get_by_role("link", name="Request an appointment").click()
    page.wait_for_url(re.compile(r"/find/\?.*specialist="))

    # Step 2 lists that doctor, ticked alone, and the consent sentence names them.
    assert page.locator(f"#choose-{chosen.id}").is_checked()
    ticked = page.locator("input[name=specialists]:checked")
    assert ticked.count() == 1
    assert "Dr Match12, MD" in page.locator("label[for=consent]").inner_text()
    step_two_send(
        page,
        first_name="Lucia",
        last_name="Paciente",
        email="lucia@example.com",
        phone="512-555-0142 ext. 7",
    )

    page.wait_for_url(re.compile(r"/thanks/[0-9a-f-]{36}/$"))
    lead = Lead.objects.get()
    assert [(m.specialist_id, m.chosen_by_patient) for m in lead.matches.all()] == [
        (chosen.id, True)
    ]
    assert (lead.phone, lead.phone_extension) == ("+15125550142", "7")
    assert "Dr Match12, MD" in lead.consent_text
    assert page.locator('a[href="tel:+15125550100"]').count() == 1
    notified = [m.to for m in mail.outbox if m.subject.startswith("New patient request")]
    assert notified == [[chosen.email]]
    assert any(m.to == ["lucia@example.com"] for m in mail.outbox)


def test_the_message_counter_and_the_five_doctor_limit_help_without_refusing(
    live_server, page_at, austin
):
    page = page_at(PHONE)
    page.goto(f"{live_server.url}/find/?zip=78703&language=es")
    counter = page.locator("#message-count")
    page.get_by_label("Anything you would like").fill("x" * 2010)
    assert counter.inner_text().startswith("2,010 characters: 10 too many")
    assert page.get_by_label("Anything you would like").input_value() == "x" * 2010
    boxes = page.locator("input[name=specialists]")
    for position in range(3, 5):
        boxes.nth(position).check()
    assert page.locator("input[name=specialists]:checked").count() == 5
    assert boxes.nth(6).is_disabled()
    assert "the most one request can go to" in page.locator("#chooser-status").inner_text()
