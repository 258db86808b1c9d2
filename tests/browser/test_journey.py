"""A patient's path in a real browser: from the condition page's widget to the thank-you
page, with the confirmation email sent by the (in-process, eager) Celery tasks."""

import re

import pytest
from django.core import mail

from leads.models import Lead
from tests.factories import make_institute, make_specialist

from .conftest import step_two_send

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_from_the_fbss_page_to_the_thank_you_page(live_server, page_at):
    institute = make_institute(name="Midtown Spine Institute")
    make_specialist(first_name="Ada", last_name="Alvarez", institute=institute)

    page = page_at()
    page.goto(f"{live_server.url}/conditions/failed-back-surgery-syndrome/")
    assert page.get_by_role("heading", level=1).inner_text() == "Failed back surgery syndrome"
    page.get_by_label("ZIP code").fill("10001")
    page.get_by_role("button", name="Find specialists").click()

    page.wait_for_url(re.compile(r"/find/\?"))
    assert "Ada Alvarez, MD" in page.locator(".results").inner_text()
    page.get_by_role("link", name="Request an appointment").click()
    step_two_send(
        page,
        first_name="Pat",
        last_name="Patient",
        email="pat@example.com",
        phone="212-555-0142",
    )

    page.wait_for_url(re.compile(r"/thanks/[0-9a-f-]{36}/$"))
    lead = Lead.objects.get()
    assert page.url.endswith(f"/thanks/{lead.id}/")
    assert "Ada Alvarez, MD" in page.content()
    assert lead.referrer == ""
    assert any(message.to == ["pat@example.com"] for message in mail.outbox)


def test_a_bad_zip_is_explained_next_to_the_field_without_javascript(live_server, page_at):
    page = page_at(java_script_enabled=False)
    page.goto(f"{live_server.url}/treatments/spinal-fusion/")
    assert page.get_by_label("Treatment").input_value() == "spinal-fusion"
    page.get_by_label("ZIP code").fill("00000")
    page.get_by_role("button", name="Find specialists").click()
    page.wait_for_url(re.compile(r"/find/\?"))
    assert page.get_by_label("ZIP code").input_value() == "00000"
    assert page.locator("#zip-error").inner_text() == "Unknown ZIP code 00000."
    assert page.get_by_label("ZIP code").get_attribute("aria-describedby") == "zip-error"
