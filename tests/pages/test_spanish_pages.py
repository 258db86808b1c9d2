"""Every translated page in Spanish under /es/, and no English left in it."""

import re

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from core.api import PublicPostThrottle
from leads.consent import WORDINGS
from leads.models import EbookRequest, Lead, Subscriber
from leads.tokens import (
    ebook_download_token,
    newsletter_confirm_token,
    newsletter_unsubscribe_token,
)
from specialists.catalog import CONTENT_DIR
from specialists.models import Condition, Treatment
from tests.contract import CATALOG_TREATMENT_SLUGS
from tests.i18n.visible import html_nodes, untranslated

from .html import read

# The templates phase 2 of the Spanish issue translates, after the search page they belong
# to is rebuilt. Until then the check below renders the includes among them as empty and
# leaves out the pages among them; phase 2 deletes each line as it translates the file.
PHASE_TWO_INCLUDES = [
    "includes/zip_widget.html",
    "includes/specialist_card.html",
    "includes/step_two.html",
]
PHASE_TWO_PAGES = [
    "pages/home.html",  # /
    "pages/find.html",  # /find/
    "pages/specialist_detail.html",  # /specialists/<slug>/
    "pages/thanks.html",  # /thanks/<lead id>/
]

SITE_NAME = "Spine Match"
PHONE = "(800) 555-0199"


@pytest.fixture
def without_phase_two_includes(settings):
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [
        {
            **engine,
            "APP_DIRS": False,
            "OPTIONS": {
                **engine["OPTIONS"],
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        dict.fromkeys(PHASE_TWO_INCLUDES, ""),
                    ),
                    "django.template.loaders.filesystem.Loader",
                    "django.template.loaders.app_directories.Loader",
                ],
            },
        }
    ]


def shared_words(directory) -> set[str]:
    """What reads the same in both languages: the site, its phone, the directory's people
    and places."""
    words = {SITE_NAME, PHONE}
    for listing in directory.values():
        words |= {listing.city, listing.state, listing.zip, str(listing), *listing.address_lines}
    return words


def english_left(client, path: str, shared: set[str], **extra) -> list[str]:
    english = client.get(path, **extra)
    spanish = client.get(f"/es{path}", **extra)
    assert spanish.status_code == english.status_code, path
    assert '<html lang="es">' in spanish.content.decode(), path
    return untranslated(
        html_nodes(spanish.content.decode()), html_nodes(english.content.decode()), shared=shared
    )


def translated_pages(directory) -> list[str]:
    return [
        *(f"/treatments/{slug}/" for slug in CATALOG_TREATMENT_SLUGS),
        *(condition.get_absolute_url() for condition in Condition.objects.all()),
        directory["institute"].get_absolute_url(),
        "/thanks/",
        "/no-such-page/",
        "/treatments/no-such-treatment/",
    ]


def test_no_english_is_left_on_the_spanish_pages(client, directory, without_phase_two_includes):
    shared = shared_words(directory)
    left = {path: english_left(client, path, shared) for path in translated_pages(directory)}
    assert {path: nodes for path, nodes in left.items() if nodes} == {}


def test_the_check_finds_english_on_a_spanish_page(client, directory, without_phase_two_includes):
    """The check above can fail: an untranslated paragraph is caught."""
    condition = Condition.objects.get(slug="epidural-fibrosis")
    condition.body_es = condition.body
    condition.save()
    left = english_left(client, condition.get_absolute_url(), shared_words(directory))
    assert "Every operation leaves scar tissue: it is how the body heals." in " ".join(left)


def test_link_pages_and_sign_up_answers_are_in_spanish(
    client, db, settings, without_phase_two_includes, django_capture_on_commit_callbacks
):
    subscriber = Subscriber.objects.create(email="lector@example.com")
    request = EbookRequest.objects.create(email="lector@example.com", first_name="Ana")
    pages = [
        f"/newsletter/confirm/{newsletter_confirm_token(subscriber)}/",
        f"/newsletter/unsubscribe/{newsletter_confirm_token(subscriber)}/",  # wrong salt: 400
        "/newsletter/confirm/not-a-token/",
        "/ebook/download/not-a-token/",
    ]
    left = {path: english_left(client, path, {SITE_NAME, PHONE}) for path in pages}
    settings.EBOOK_LINK_MAX_AGE_DAYS = -1
    expired = f"/ebook/download/{ebook_download_token(request)}/"
    left[expired] = english_left(client, expired, {SITE_NAME, PHONE})
    assert client.get(f"/es{expired}").status_code == 410
    unsubscribe = f"/newsletter/unsubscribe/{newsletter_unsubscribe_token(subscriber)}/"
    left[unsubscribe] = english_left(client, unsubscribe, {SITE_NAME, PHONE})
    page = "/treatments/discectomy/"
    for data in ({"form": "ebook", "first_name": "", "email": "ana@"}, {"form": "nope"}):
        english = client.post(page, data)
        spanish = client.post(f"/es{page}", data)
        assert spanish.status_code == english.status_code == 400
        left[str(data)] = untranslated(
            html_nodes(spanish.content.decode()),
            html_nodes(english.content.decode()),
            shared={SITE_NAME, PHONE},
        )
    assert {path: nodes for path, nodes in left.items() if nodes} == {}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/es{page}", {"form": "newsletter", "email": "nuevo@example.com"})
    assert "Revise su correo electrónico" in client.get(f"/es{page}").content.decode()
    assert Subscriber.objects.get(email="nuevo@example.com").language == "es"
    assert mail.outbox[-1].subject == "Confirme su suscripción"


def test_the_throttled_500_and_csrf_pages_are_in_spanish(
    client, db, monkeypatch, without_phase_two_includes
):
    monkeypatch.setitem(PublicPostThrottle.THROTTLE_RATES, "public_post", "1/minute")
    client.post("/es/", {"form": "newsletter", "email": "a@example.com"})
    spanish = client.post("/es/treatments/discectomy/", {"form": "nope"})
    assert spanish.status_code == 429
    with translation.override("en"):
        english = render_to_string(
            "throttled.html",
            {"wait_seconds": 60},
            request=RequestFactory().get("/treatments/discectomy/"),
        )
    left = {
        "throttled": untranslated(
            html_nodes(spanish.content.decode()), html_nodes(english), shared={SITE_NAME, PHONE}
        )
    }
    for name in ("500.html", "403_csrf.html"):
        with translation.override("en"):
            english = render_to_string(name)
        with translation.override("es"):
            spanish = render_to_string(name)
        assert '<html lang="es">' in spanish
        assert 'href="/es/"' in spanish
        left[name] = untranslated(html_nodes(spanish), html_nodes(english))
    assert {name: nodes for name, nodes in left.items() if nodes} == {}


def test_treatment_page_in_spanish_carries_spanish_content_and_markup(client, directory):
    response = client.get("/es/treatments/spinal-cord-stimulation/")
    html = response.content.decode()
    page = read(response)
    assert page.title.startswith("Estimulación de la médula espinal: para qué sirve")
    assert page.meta["description"].startswith("La estimulación de la médula espinal usa")
    for section in ("Para qué sirve", "Cómo prepararse", "El procedimiento", "Recuperación"):
        assert f">{section}</h2>" in html
    assert '<time datetime="2026-11-22">22 de noviembre de 2026</time>' in html
    assert "2 especialistas certificados por la junta médica de nuestro directorio" in html
    (data,) = page.json_ld
    assert data["inLanguage"] == "es"
    assert data["about"]["name"] == "Estimulación de la médula espinal"
    assert data["url"] == "http://testserver/es/treatments/spinal-cord-stimulation/"
    # The English page keeps its words, and its date.
    english = client.get("/treatments/spinal-cord-stimulation/").content.decode()
    assert '<time datetime="2026-11-22">November 22, 2026</time>' in english
    assert read(client.get("/treatments/spinal-cord-stimulation/")).json_ld[0]["inLanguage"] == "en"


def test_menu_widget_heading_and_links_stay_in_spanish(client, db):
    html = client.get("/es/treatments/nerve-block/").content.decode()
    assert '<a href="/es/treatments/nerve-block/">Bloqueo nervioso</a>' in html
    assert "Encuentre un especialista que ofrezca bloqueo nervioso" in html
    assert 'href="/es/conditions/failed-back-surgery-syndrome/"' in html
    assert '<a class="brand" href="/es/">' in html
    for form in read(client.get("/es/treatments/nerve-block/")).forms:
        assert form.attrs["action"].startswith(("/es/", "#")), form.attrs


def test_spanish_content_links_only_to_spanish_pages_that_exist(client, db):
    for path in sorted(CONTENT_DIR.glob("*/*.es.md")):
        for link in re.findall(r"\]\((/[^)\s]*)\)", path.read_text(encoding="utf-8")):
            assert link.startswith("/es/"), (path.name, link)
            assert client.get(link).status_code == 200, (path.name, link)


def test_an_empty_spanish_field_shows_the_english_one(db):
    treatment = Treatment.objects.get(slug="discectomy")
    treatment.name_es = treatment.body_es = treatment.meta_description_es = ""
    text = treatment.text_in("es")
    assert text.name == "Discectomy"
    assert text.summary == treatment.summary_es
    assert text.description == treatment.summary_es
    assert (text.body, text.body_language) == (treatment.body, "en")


def test_a_spanish_page_shows_the_spanish_consent_and_the_lead_stores_it(
    client, directory, django_capture_on_commit_callbacks
):
    spanish = WORDINGS["es"]
    html = client.get("/es/find/", {"zip": "10001"}).content.decode()
    assert spanish.text in html
    assert WORDINGS["en"].text not in html
    form = {
        "zip": "10001",
        "treatment": "spinal-cord-stimulation",
        "first_name": "Ana",
        "last_name": "García",
        "email": "ana@example.com",
        "phone": "(212) 555-0142",
        "consent": "true",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/es/find/", form)
    lead = Lead.objects.get()
    assert response["Location"] == f"/es/thanks/{lead.id}/"
    assert (lead.language, lead.consent_text, lead.consent_version) == (
        "es",
        spanish.text,
        spanish.version,
    )
    assert spanish.version != WORDINGS["en"].version
    confirmation = next(m for m in mail.outbox if m.to == ["ana@example.com"])
    assert confirmation.subject == "Recibimos su solicitud"


def test_a_step_two_error_on_a_spanish_page_is_in_spanish(client, directory):
    response = client.post(
        "/es/find/",
        {"zip": "10001", "email": "ana@", "phone": "12", "first_name": "", "consent": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Escriba un correo electrónico válido." in html
    assert "Este campo no puede quedar en blanco." in html
    assert "necesitamos su consentimiento" in html
    assert "Enter a valid email address." not in html
