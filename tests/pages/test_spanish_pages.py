"""Every translated page in Spanish under /es/, and no English left in it."""

import datetime
import re

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from core.api import PublicPostThrottle
from geo.gazetteer import DISTRICT_AND_TERRITORIES
from leads.consent import WORDINGS
from leads.models import EbookRequest, Lead, Subscriber
from leads.tokens import (
    ebook_download_token,
    newsletter_confirm_token,
    newsletter_unsubscribe_token,
)
from pages.selectors import PLACES_BEYOND_THE_STATES
from specialists.catalog import CONTENT_DIR
from specialists.models import Board, Condition, InsurancePlan, Treatment
from tests.contract import CATALOG_TREATMENT_SLUGS
from tests.factories import make_specialist
from tests.i18n.visible import html_nodes, untranslated

from .html import read

SITE_NAME = "Spine Match"
PHONE = "(800) 555-0199"


def shared_words(directory) -> set[str]:
    """What reads the same in both languages: the site, its phone, the directory's people
    and places, the boards' codes, and the insurance plans whose Spanish name is their own
    (brand names such as Aetna or Medicare)."""
    words = {SITE_NAME, PHONE, *Board.objects.values_list("code", flat=True)}
    for listing in directory.values():
        words |= {listing.city, listing.state, listing.zip, str(listing), *listing.address_lines}
    for plan in InsurancePlan.objects.all():
        if plan.name_es == plan.name:
            words.add(plan.name)
    return words


_MAP_LABELS = re.compile(r'<g class="map-labels"[^>]*>(.*?)</g>', re.DOTALL)


def english_in(spanish, english, shared: set[str]) -> list[str]:
    """What the Spanish response says that the English one says too, beyond ``shared``
    and the towns the results map names."""
    assert spanish.status_code == english.status_code, spanish.request["PATH_INFO"]
    html = spanish.content.decode()
    assert '<html lang="es">' in html, spanish.request["PATH_INFO"]
    towns = {town for labels in _MAP_LABELS.findall(html) for town in html_nodes(labels)}
    return untranslated(
        html_nodes(html), html_nodes(english.content.decode()), shared=shared | towns
    )


def english_left(client, path: str, shared: set[str], **extra) -> list[str]:
    return english_in(client.get(f"/es{path}", **extra), client.get(path, **extra), shared)


@pytest.fixture
def directory_in_full(directory):
    """The directory, with what else the search and profile pages can show: a specialist
    with every listing fact who takes no new patients, one offering nerve blocks 30 miles
    out, and enough others near 10001 for a second page of results."""
    full = dict(directory)
    full["institute"].opening_hours = "Mo-Fr 08:00-17:00\nSa 09:00-12:30"
    full["institute"].save()
    full["full_profile"] = make_specialist(
        first_name="Eva",
        last_name="Estrada",
        specialty="Physical medicine and rehabilitation",
        boards=("ABPMR", "ABA"),
        expires_on=datetime.date(2030, 6, 30),
        accepting_new_patients=False,
        telehealth=True,
        languages="en;es",
        gender="F",
        insurance=("medicare", "workers-compensation", "self-pay", "aetna"),
        treatments=("epidural-steroid-injection", "radiofrequency-ablation"),
        accepting_verified_on=datetime.date(2026, 5, 4),
        treatments_verified_on=datetime.date(2026, 5, 4),
        address_verified_on=datetime.date(2026, 5, 4),
        latitude=40.7410,
        longitude=-73.9897,
    )
    full["full_profile"].certifications.update(verified_on=datetime.date(2026, 5, 4))
    full["nerve_block"] = make_specialist(
        first_name="Gil",
        last_name="Gómez",
        specialty="Anesthesiology, Pain Medicine",
        treatments=("nerve-block",),
        city="Princeton",
        state="NJ",
        zip="08540",
        latitude=40.3487,
        longitude=-74.6590,
    )
    for n in range(9):
        full[f"filler{n}"] = make_specialist(
            specialty="Neurological surgery",
            latitude=40.75 + n * 0.004,
            longitude=-73.99,
        )
    return full


def search_pages(directory) -> list[str]:
    """Every state of /find/: empty, results with their map and step 2, a second page,
    filters, the three kinds of no match, a page past the end, the specialist a profile
    link chose (or who can no longer be chosen), and bad input."""
    near, inactive = directory["near"].pk, directory["inactive"].pk
    return [
        "/",
        "/find/",
        "/find/?zip=10001",
        "/find/?zip=New+York%2C+NY&treatment=spinal-cord-stimulation&page=1",
        "/find/?zip=10001&sort=name&page=2",
        "/find/?zip=10001&page=9",
        "/find/?zip=10001&accepting=true&telehealth=true&language=es&insurance=medicare"
        "&gender=female&specialty=rehabilitation",
        "/find/?zip=10001&language=es&insurance=workers-compensation&gender=male",
        "/find/?zip=10001&treatment=intrathecal-drug-delivery",
        "/find/?zip=10001&treatment=nerve-block&radius=25",
        "/find/?zip=10001&treatment=discectomy",
        "/find/?zip=10001&treatment=discectomy&specialty=surgery",
        f"/find/?zip=10001&specialist={near}",
        f"/find/?zip=10001&specialist={inactive}",
        "/find/?zip=10001&specialist=x",
        "/find/?zip=00000",
        "/find/?zip=Sprngfield",
        "/find/?zip=10001&radius=abc&page=0&language=zz&insurance=nope&sort=up&gender=x",
        "/find/?near=91,0",
    ]


def profile_pages(directory) -> list[str]:
    return [
        directory[name].get_absolute_url()
        for name in ("near", "independent", "far", "full_profile", "nerve_block")
    ]


def translated_pages(directory) -> list[str]:
    return [
        *(f"/treatments/{slug}/" for slug in CATALOG_TREATMENT_SLUGS),
        *(condition.get_absolute_url() for condition in Condition.objects.all()),
        *search_pages(directory),
        *profile_pages(directory),
        directory["institute"].get_absolute_url(),
        "/thanks/",
        "/no-such-page/",
        "/treatments/no-such-treatment/",
    ]


def test_no_english_is_left_on_the_spanish_pages(client, directory_in_full):
    shared = shared_words(directory_in_full)
    left = {
        path: english_left(client, path, shared) for path in translated_pages(directory_in_full)
    }
    assert {path: nodes for path, nodes in left.items() if nodes} == {}


def test_a_profile_reached_from_results_is_in_spanish(client, directory_in_full):
    shared = shared_words(directory_in_full)
    path = directory_in_full["full_profile"].get_absolute_url()
    spanish = client.get(f"/es{path}", HTTP_REFERER="http://testserver/es/find/?zip=10001")
    english = client.get(path, HTTP_REFERER="http://testserver/find/?zip=10001")
    assert english_in(spanish, english, shared) == []
    assert 'href="/es/find/?zip=10001">Sus resultados de búsqueda</a>' in spanish.content.decode()


STEP_TWO = {
    "zip": "10001",
    "treatment": "spinal-cord-stimulation",
    "first_name": "Ana",
    "last_name": "García",
    "phone": "(212) 555-0142",
    "consent": "true",
}


def test_step_two_errors_and_every_thank_you_page_are_in_spanish(client, directory_in_full):
    shared = shared_words(directory_in_full) | {"Ana", "García"}
    near = directory_in_full["near"]
    left = {}
    bad = {
        **STEP_TWO,
        "email": "ana@",
        "phone": "12",
        "first_name": "",
        "consent": "",
        "message": "x" * 2001,
        "specialists": ["abc", str(directory_in_full["far"].pk)],
    }
    # The patient's own words come back with the error, as typed.
    left["step 2"] = english_in(
        client.post("/es/find/", bad), client.post("/find/", bad), shared | {bad["message"]}
    )
    for name, changes in {
        "routed": {"email": "ana1@example.com"},
        "chosen": {"email": "ana2@example.com", "specialists": [str(near.pk)]},
        "no match": {"email": "ana3@example.com", "zip": "99546", "treatment": "nerve-block"},
    }.items():
        response = client.post("/es/find/", {**STEP_TWO, **changes})
        assert response.status_code == 302, (name, response.content.decode()[:2000])
        path = response["Location"].removeprefix("/es")
        left[name] = english_left(client, path, shared)
    assert {name: nodes for name, nodes in left.items() if nodes} == {}


def test_the_check_finds_english_on_a_spanish_page(client, directory):
    """The check above can fail: an untranslated paragraph is caught."""
    condition = Condition.objects.get(slug="epidural-fibrosis")
    condition.body_es = condition.body
    condition.save()
    left = english_left(client, condition.get_absolute_url(), shared_words(directory))
    assert "Every operation leaves scar tissue: it is how the body heals." in " ".join(left)


def test_link_pages_and_sign_up_answers_are_in_spanish(
    client, db, settings, django_capture_on_commit_callbacks
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


def test_the_throttled_500_and_csrf_pages_are_in_spanish(client, db, monkeypatch):
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


def test_search_and_profile_speak_us_spanish_and_english_keeps_its_words(client, directory_in_full):
    """Catalog data in Spanish (boards, plans, specialties, treatments), numbers with the
    decimal point and comma grouping, Spanish dates; the English pages as they were."""
    profile = directory_in_full["full_profile"].get_absolute_url()
    institute_path = directory_in_full["institute"].get_absolute_url()
    far = client.get("/es/find/", {"zip": "10001", "treatment": "intrathecal-drug-delivery"})
    html = far.content.decode()
    assert "Ningún especialista a menos de 50 millas de 10001 ofrece administración" in html
    assert "a <strong>2,445.4 mi</strong>" in html
    widen = client.get("/es/find/", {"zip": "10001", "treatment": "nerve-block", "radius": "25"})
    assert "Buscar a menos de 50 millas" in widen.content.decode()
    html = client.get(f"/es{profile}").content.decode()
    for spanish in (
        "Medicina física y rehabilitación",
        "<strong>Junta Estadounidense de Medicina Física y Rehabilitación</strong> (ABPMR)",
        "Vigente hasta el 30 de junio de 2030; verificada el 4 de mayo de 2026",
        "Medicare, Compensación de trabajadores, Pago por cuenta propia (sin seguro), Aetna",
        "Inyección epidural de esteroides",
        "Dirección: verificada en mayo de 2026",
    ):
        assert spanish in html, spanish
    english = client.get(profile).content.decode()
    for words in (
        "Physical medicine and rehabilitation",
        "<strong>American Board of Physical Medicine and Rehabilitation</strong> (ABPMR)",
        "Valid through June 30, 2030; checked May 4, 2026",
        "Medicare, Workers&#x27; compensation, Self-pay (no insurance), Aetna",
        "Address: verified May 2026",
    ):
        assert words in english, words
    card = client.get("/es/find/", {"zip": "10001"}).content.decode()
    cited = 'Junta Estadounidense de Anestesiología (ABA) <span class="muted">· Vigente hasta el'
    assert f"{cited} 30 jun 2030" in card
    institute = client.get(f"/es{institute_path}").content.decode()
    assert "<dt>lunes a viernes</dt><dd>8 a.m.–5 p.m.</dd>" in institute
    assert "<dt>sábado</dt><dd>9 a.m.–12:30 p.m.</dd>" in institute
    assert "Especialistas de la columna cerca de New York, NY 10001" in card


def test_a_specialty_that_fits_no_group_is_a_spine_specialist_in_spanish(client, directory):
    specialist = directory["near"]
    specialist.specialty = "Sports medicine"
    specialist.save()
    path = specialist.get_absolute_url()
    html = client.get(f"/es{path}").content.decode()
    assert "Especialista de la columna en" in html
    assert "Sports medicine" not in html
    assert "Sports medicine" in client.get(path).content.decode()


def test_the_home_page_names_the_places_beyond_the_states_in_each_language(client, db):
    """Its figures are cached across requests; the words are the request's language."""
    make_specialist()
    for state, latitude, longitude in (("PR", 18.47, -66.11), ("DC", 38.9, -77.0)):
        make_specialist(state=state, city="X", zip="00901", latitude=latitude, longitude=longitude)
    spanish = client.get("/es/").content.decode()
    english = client.get("/").content.decode()
    assert "en 1 estado, y también en el Distrito de Columbia y Puerto Rico." in spanish
    assert "across 1 state, plus the District of Columbia and Puerto Rico." in english
    assert PLACES_BEYOND_THE_STATES.keys() == DISTRICT_AND_TERRITORIES.keys()
