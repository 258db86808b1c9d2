"""Spanish leads, subscribers and e-book requests: Spanish messages from the APIs, the
language and consent stored, every email to the patient in Spanish, staff email in English
with a note."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format, number_format, time_format

from leads.consent import WORDINGS
from leads.ebook import EBOOK_FILES, ebook_request
from leads.emails import message_email
from leads.models import EbookRequest, Lead, LeadMatch, OutboundMessage, Subscriber
from leads.newsletter import newsletter_confirm, newsletter_subscribe
from leads.responses import lead_match_answer, routing_overdue_sweep
from leads.services import lead_submit
from leads.tokens import ebook_download_token
from specialists.models import Treatment
from tests.i18n.visible import html_nodes, text_nodes, untranslated

from .conftest import specialist_at

pytestmark = pytest.mark.django_db

Kind = OutboundMessage.Kind
PATIENT_KINDS = [
    Kind.PATIENT_CONFIRMATION,
    Kind.PATIENT_FOLLOWUP_2D,
    Kind.PATIENT_FOLLOWUP_7D,
]
SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}


def lead_data(**changes) -> dict:
    return {
        "zip": "10001",
        "treatment": Treatment.objects.get(slug="spinal-cord-stimulation"),
        "first_name": "Ana",
        "last_name": "García",
        "email": "ana@example.com",
        "phone": "+12125550142",
        "message": "",
        **changes,
    }


def emails(**filters) -> dict:
    """Every email the rows owe, built as they would be sent, by kind (and recipient)."""
    return {
        (message.kind, message.specialist_id): message_email(message)
        for message in OutboundMessage.objects.filter(**filters)
    }


def shared(settings, *specialists) -> set[str]:
    words = {settings.SITE_NAME, "(800) 555-0199", settings.SENDER_POSTAL_ADDRESS, "Ana"}
    for specialist in specialists:
        words |= {specialist.display_name, specialist.city, specialist.state}
        if specialist.institute:
            words.add(specialist.institute.name)
    return words


def english_left(spanish, english, words) -> list[str]:
    """What the Spanish email still says in English, in either part, or its subject."""
    assert spanish.subject != english.subject
    return [
        *untranslated(text_nodes(spanish.body), text_nodes(english.body), shared=words),
        *untranslated(
            html_nodes(spanish.alternatives[0][0]),
            html_nodes(english.alternatives[0][0]),
            shared=words,
        ),
    ]


def test_every_email_to_a_spanish_patient_is_in_spanish(settings):
    doctor = specialist_at(1.5, email="doc@clinic.example", first_name="Ada", last_name="Alvarez")
    spanish = lead_submit(data=lead_data(), language="es").lead
    english = lead_submit(data=lead_data(email="pat@example.com"), language="en").lead
    in_spanish, in_english = emails(lead=spanish), emails(lead=english)
    words = shared(settings, doctor)
    left = {
        kind: english_left(in_spanish[kind, None], in_english[kind, None], words)
        for kind in PATIENT_KINDS
    }
    assert {kind: nodes for kind, nodes in left.items() if nodes} == {}
    confirmation = in_spanish[Kind.PATIENT_CONFIRMATION, None]
    html = confirmation.alternatives[0][0]
    assert confirmation.subject == "Recibimos su solicitud"
    assert confirmation.extra_headers["Content-Language"] == "es"
    assert '<html lang="es">' in html
    # US Spanish keeps the decimal point: 1.5 millas, as MedlinePlus en español writes it.
    assert "1.5 millas" in confirmation.body and "1.5 millas" in html
    assert f"{settings.SITE_URL}/es/thanks/{spanish.id}/" in confirmation.body
    assert f"{settings.SITE_URL}/es/specialists/{doctor.slug}/" in html
    assert in_english[Kind.PATIENT_CONFIRMATION, None].extra_headers["Content-Language"] == "en"
    assert "1.5 miles" in in_english[Kind.PATIENT_CONFIRMATION, None].body


def test_the_patient_told_who_calls_instead_is_told_in_spanish(settings):
    doctors = [specialist_at(miles, email=f"doc{miles}@clinic.example") for miles in (1, 2, 3, 4)]
    told = {}
    for language in ("es", "en"):
        lead = lead_submit(data=lead_data(email=f"{language}@example.com"), language=language).lead
        lead_match_answer(
            match=lead.matches.get(rank=1),
            outcome=LeadMatch.Outcome.CANT_HELP,
            reason=LeadMatch.Reason.NOT_ACCEPTING,
        )
        (told[language],) = emails(lead=lead, kind=Kind.PATIENT_REROUTED).values()
    assert english_left(told["es"], told["en"], shared(settings, *doctors)) == []
    assert told["es"].subject == "Otro especialista le llamará"
    assert f"{settings.SITE_URL}/es/specialists/{doctors[3].slug}/" in told["es"].body


def test_a_spanish_lead_without_a_match_is_told_so_in_spanish(settings):
    spanish = lead_submit(data=lead_data(), language="es").lead
    english = lead_submit(data=lead_data(email="pat@example.com"), language="en").lead
    left = english_left(
        emails(lead=spanish)[Kind.PATIENT_CONFIRMATION, None],
        emails(lead=english)[Kind.PATIENT_CONFIRMATION, None],
        shared(settings),
    )
    assert left == []
    assert "Nuestro equipo de la red" in emails(lead=spanish)[Kind.PATIENT_CONFIRMATION, None].body


def test_staff_email_stays_english_and_says_the_patient_prefers_spanish(settings):
    doctor = specialist_at(1, email="doc@clinic.example")
    spanish = lead_submit(data=lead_data(), language="es").lead
    english = lead_submit(data=lead_data(email="pat@example.com"), language="en").lead
    notification = emails(lead=spanish)[Kind.PROVIDER_NOTIFICATION, doctor.id]
    assert notification.subject == "New patient request near 10001"
    assert notification.extra_headers["Content-Language"] == "en"
    for part in (notification.body, notification.alternatives[0][0]):
        assert "The patient prefers Spanish." in part
        assert "Call us free" in part
        assert "Llámenos" not in part
    plain = emails(lead=english)[Kind.PROVIDER_NOTIFICATION, doctor.id]
    assert "prefers" not in plain.body


@pytest.mark.parametrize(
    ("together", "will_call"), [(False, "le llamará."), (True, "le llamarán.")]
)
def test_the_patient_told_who_calls_instead_reads_spanish(settings, together, will_call):
    """A can't-help names the one specialist taking over; routings silent together, all
    of them in one email."""
    doctors = [specialist_at(miles) for miles in (1, 2, 3, 4, 5, 6)]
    told = {}
    for language in ("es", "en"):
        lead = lead_submit(data=lead_data(email=f"{language}@example.com"), language=language).lead
        first = lead.matches.get(rank=1)
        if together:
            routing_overdue_sweep(now=first.respond_by)
        else:
            lead_match_answer(match=first, outcome=LeadMatch.Outcome.CANT_HELP, reason="other")
        [message] = OutboundMessage.objects.filter(lead=lead, kind=Kind.PATIENT_REROUTED)
        told[language] = message_email(message)
    assert english_left(told["es"], told["en"], shared(settings, *doctors)) == []
    assert will_call in told["es"].body


def test_the_network_alert_for_a_spanish_lead_names_the_language():
    lead_submit(data=lead_data(), language="es")
    alert = emails(kind=Kind.NETWORK_ALERT)[Kind.NETWORK_ALERT, None]
    assert alert.subject.startswith("Lead without a match near 10001")
    assert "The patient prefers Spanish." in alert.body
    assert "The patient prefers Spanish." in alert.alternatives[0][0]


def test_newsletter_and_ebook_email_follow_the_language_asked_in(settings):
    newsletter_subscribe(email="lector@example.com", language="es")
    newsletter_subscribe(email="reader@example.com", language="en")
    for address in ("lector@example.com", "reader@example.com"):
        newsletter_confirm(subscriber=Subscriber.objects.get(email=address))
    ebook_request(email="lector@example.com", first_name="Ana", language="es")
    ebook_request(email="reader@example.com", first_name="Ana", language="en")
    spanish = emails(subscriber__email="lector@example.com") | emails(
        ebook_request__email="lector@example.com"
    )
    english = emails(subscriber__email="reader@example.com") | emails(
        ebook_request__email="reader@example.com"
    )
    assert (
        spanish.keys()
        == english.keys()
        == {
            (Kind.NEWSLETTER_CONFIRMATION, None),
            (Kind.NEWSLETTER_WELCOME, None),
            (Kind.EBOOK_LINK, None),
        }
    )
    words = shared(settings)
    left = {key: english_left(spanish[key], english[key], words) for key in spanish}
    assert {key: nodes for key, nodes in left.items() if nodes} == {}
    welcome = spanish[Kind.NEWSLETTER_WELCOME, None]
    assert welcome.subject == "Le damos la bienvenida al boletín de Spine Match"
    assert (
        f"<{settings.SITE_URL}/es/newsletter/unsubscribe/"
        in (welcome.extra_headers["List-Unsubscribe"])
    )
    assert "/es/ebook/download/" in spanish[Kind.EBOOK_LINK, None].body


def test_the_spanish_ebook_is_downloaded_by_a_spanish_request(client):
    ebook_request(email="lector@example.com", first_name="Ana", language="es")
    ebook_request(email="reader@example.com", first_name="Ana", language="en")
    for request in EbookRequest.objects.all():
        response = client.get(f"/es/ebook/download/{ebook_download_token(request)}/")
        guide = EBOOK_FILES[request.language]
        assert b"".join(response.streaming_content) == guide.read_bytes()
        assert guide.name in response["Content-Disposition"]
    assert EBOOK_FILES["es"].name == "vida-despues-de-la-cirugia-de-espalda.html"


def test_the_spanish_ebook_says_everything_the_english_one_does_in_spanish():
    spanish = EBOOK_FILES["es"].read_text(encoding="utf-8")
    english = EBOOK_FILES["en"].read_text(encoding="utf-8")
    assert '<html lang="es">' in spanish
    assert untranslated(html_nodes(spanish), html_nodes(english), shared={"Spine Match"}) == []
    assert len(html_nodes(spanish)) == len(html_nodes(english))


# The lead API ---------------------------------------------------------------------------


def test_the_lead_api_answers_spanish_messages_with_the_same_fields(post_lead, lead_payload):
    bad = {**lead_payload, "zip": "00000", "email": "ana@", "phone": "12", "consent": False}
    del bad["first_name"]
    english = post_lead(bad)
    spanish = post_lead(bad, **SPANISH)
    assert spanish.status_code == english.status_code == 400
    assert spanish.json().keys() == english.json().keys()
    assert spanish.json() == {
        "zip": ["No reconocemos el código postal 00000."],
        "first_name": ["Este campo es obligatorio."],
        "email": ["Escriba un correo electrónico válido."],
        "phone": ["Escriba un número de teléfono válido de EE. UU., por ejemplo (212) 555-0100."],
        "consent": [
            "Para que un especialista pueda comunicarse con usted, necesitamos su consentimiento."
        ],
    }
    french = post_lead(bad, HTTP_ACCEPT_LANGUAGE="fr")
    assert french.json() == english.json()
    assert Lead.objects.count() == 0


def test_a_lead_posted_in_spanish_stores_spanish_and_its_consent(post_lead, lead_payload):
    near = specialist_at(0.4, email="doc@clinic.example")
    response = post_lead(lead_payload, **SPANISH)
    assert response.status_code == 201
    # The answer's addresses are the English pages', whatever the language.
    assert response.json()["matches"][0]["url"] == f"/specialists/{near.slug}/"
    lead = Lead.objects.get()
    assert lead.language == "es"
    assert (lead.consent_text, lead.consent_version) == (
        WORDINGS["es"].text,
        WORDINGS["es"].version,
    )
    confirmation = next(m for m in mail.outbox if m.to == ["pat@example.com"])
    assert confirmation.subject == "Recibimos su solicitud"
    notification = next(m for m in mail.outbox if m.to == ["doc@clinic.example"])
    assert "The patient prefers Spanish." in notification.body


def test_a_lead_posted_without_a_language_is_english(post_lead, lead_payload):
    post_lead(lead_payload, HTTP_ACCEPT_LANGUAGE="de")
    lead = Lead.objects.get()
    assert (lead.language, lead.consent_version) == ("en", WORDINGS["en"].version)


def test_newsletter_and_ebook_apis_in_spanish(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/newsletter/", {"email": "lector@example.com"}, format="json", **SPANISH)
        api.post(
            "/api/v1/ebook/",
            {"email": "lector@example.com", "first_name": "Ana"},
            format="json",
            **SPANISH,
        )
    assert Subscriber.objects.get().language == "es"
    assert EbookRequest.objects.get().language == "es"
    assert sorted(m.subject for m in mail.outbox) == [
        "Confirme su suscripción",
        "Su libro electrónico gratuito: La vida después de una cirugía de espalda",
    ]
    bad = api.post("/api/v1/ebook/", {"email": "x"}, format="json", **SPANISH)
    assert bad.json() == {
        "email": ["Escriba un correo electrónico válido."],
        "first_name": ["Este campo es obligatorio."],
    }


def test_numbers_and_dates_read_the_us_spanish_way():
    with translation.override("es"):
        assert number_format(2450.25, decimal_pos=1, force_grouping=True) == "2,450.2"
        assert date_format(datetime.date(2026, 11, 22)) == "22 de noviembre de 2026"
        assert time_format(datetime.time(17, 30)) == "5:30 p.m."
        assert reverse("home") == "/es/"
    with translation.override("en"):
        assert number_format(2450.25, decimal_pos=1, force_grouping=True) == "2,450.2"
        assert reverse("home") == "/"


def test_a_spanish_lead_goes_first_to_spanish_speakers_within_the_radius():
    """Spanish speakers accepting new patients come first, nearest first; the nearest
    others fill the places left. An English lead keeps plain nearest-first order."""
    others = [specialist_at(miles) for miles in (1, 2, 3)]
    far_speaker = specialist_at(30, languages="en;es")
    near_speaker = specialist_at(20, languages="es")
    specialist_at(5, languages="es", accepting_new_patients=False)
    specialist_at(900, languages="es")  # beyond the routing radius
    spanish = lead_submit(data=lead_data(), language="es").lead
    english = lead_submit(data=lead_data(email="pat@example.com"), language="en").lead
    ranked = [m.specialist for m in spanish.matches.order_by("rank")]
    assert ranked == [near_speaker, far_speaker, others[0]]
    assert [m.specialist for m in english.matches.order_by("rank")] == others
