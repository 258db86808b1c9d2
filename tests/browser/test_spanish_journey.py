"""A Spanish-speaking patient on a phone, the whole way: a Spanish condition page, the
search, filtered results, step 2 answered with a Spanish validation message, the thank-you
page, and the confirmation email in Spanish as an SMTP server receives it. Every Spanish
page on the way passes the axe audit."""

import re
import time
from email.header import decode_header, make_header

import pytest

from leads.models import Lead
from tests.factories import make_institute, make_specialist
from tests.integration.smtp_sink import SmtpSink

from .conftest import PHONE, serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def sink(settings):
    """The site's email goes, over SMTP, to a server on loopback that keeps it."""
    with SmtpSink() as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield smtp


def received_by(sink: SmtpSink, address: str, timeout: float = 15):
    """The first email the sink got for ``address``, waiting for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        arrived = sink.received[:]
        for received in arrived:
            if received.rcpt_to == [address]:
                return received.message
        sink.wait_for(len(arrived) + 1, timeout=deadline - time.monotonic())
    raise AssertionError(f"no email to {address}: {[r.rcpt_to for r in sink.received]}")


def text_part(message) -> str:
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    return part.get_payload(decode=True).decode(part.get_content_charset())


def test_a_spanish_patient_on_a_phone_from_a_condition_page_to_the_email(
    live_server, page_at, sink
):
    institute = make_institute(name="Midtown Spine Institute")
    make_specialist(
        first_name="Ada",
        last_name="Alvarez",
        institute=institute,
        languages="en;es",
        insurance=("medicare", "workers-compensation"),
        latitude=40.7484 + 1.5 / 69.0,
    )
    make_specialist(first_name="Ben", last_name="Brooks", specialty="Pain medicine")
    problems = {}

    def audit(page, name):
        assert page.evaluate("document.documentElement.lang") == "es", name
        found = serious_violations(page)
        if found:
            problems[name] = found

    page = page_at(PHONE)
    page.goto(f"{live_server.url}/es/conditions/failed-back-surgery-syndrome/")
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "Síndrome de cirugía de espalda fallida"
    page.get_by_label("Código postal (ZIP) o ciudad").fill("10001")
    page.get_by_role("button", name="Buscar especialistas").click()

    # The results, then narrowed to Spanish speakers through the folded filters.
    page.wait_for_url(re.compile(r"/es/find/\?"))
    summary = page.locator(".result-summary").inner_text()
    assert "2 especialistas certificados por la junta médica a menos de 50 millas" in summary
    page.get_by_text("Filtros", exact=True).click()
    page.get_by_label("Idioma que habla").select_option(label="español")
    page.get_by_role("button", name="Buscar especialistas").click()
    page.wait_for_url(re.compile(r"language=es"))
    results = page.locator(".results").inner_text()
    assert "Ada Alvarez, MD" in results and "Ben Brooks" not in results
    assert "a 1.5 mi" in results
    assert "Cirugía de la columna" in results
    assert "Solo: Habla español" in page.locator(".filter-summary").inner_text()
    audit(page, "results with a filter")

    # Step 2: a phone number that cannot be one comes back with a Spanish message.
    page.get_by_role("link", name="Pedir una cita").click()
    page.get_by_label("Nombre", exact=True).fill("Ana")
    page.get_by_label("Apellido").fill("García")
    page.get_by_label("Correo electrónico", exact=True).last.fill("ana@example.com")
    page.get_by_label("Teléfono", exact=True).fill("12")
    page.get_by_label("¿Hay algo que quiera que sepa el especialista?").fill("Me duele la espalda")
    assert page.locator("#message-count").inner_text() == "19 de 2,000 caracteres"
    page.get_by_label("Acepto que").check()
    page.get_by_role("button", name="Enviar mi solicitud").click()
    page.wait_for_selector("#phone-error")
    assert page.locator("#phone-error").inner_text() == (
        "Escriba un número de teléfono válido de EE. UU., por ejemplo (212) 555-0100."
    )
    assert page.get_by_role("alert").inner_text() == "Revise los campos marcados más abajo."
    audit(page, "step 2 with an error")
    page.get_by_label("Teléfono", exact=True).fill("212-555-0142")
    page.get_by_label("Acepto que").check()
    page.get_by_role("button", name="Enviar mi solicitud").click()

    page.wait_for_url(re.compile(r"/es/thanks/[0-9a-f-]{36}/$"))
    lead = Lead.objects.get()
    assert (lead.language, lead.consent_version) == ("es", "2026-12-06-chosen-es")
    assert page.get_by_role("heading", level=1).inner_text() == "Gracias. Recibimos su solicitud."
    assert "Enviamos su solicitud al especialista que usted eligió" in page.content()
    audit(page, "thank-you page")

    # The profile of the specialist who will call.
    page.get_by_role("link", name="Ada Alvarez, MD").click()
    page.wait_for_url(re.compile(r"/es/specialists/"))
    assert "Compensación de trabajadores" in page.content()
    audit(page, "profile")
    assert problems == {}

    confirmation = received_by(sink, "ana@example.com")
    assert str(make_header(decode_header(confirmation["Subject"]))) == "Recibimos su solicitud"
    assert confirmation["Content-Language"] == "es"
    body = text_part(confirmation)
    assert body.startswith("Hola, Ana:")
    assert "Ada Alvarez, MD, Cirugía de la columna, Midtown Spine Institute" in body
    assert "1.5 millas" in body
    assert f"/es/thanks/{lead.id}/" in body
