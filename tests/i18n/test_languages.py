"""Which language a request gets: English at the addresses the site always had, Spanish
under /es/, the language switch and the hreflang alternates, in pages and the sitemap."""

import os
import re

import pytest
from django.core.checks import Error
from django.utils import translation

from core.i18n import catalogues_check, language_current, languages_check
from pages.sitemaps import PagesInEveryLanguage, SpecialistSitemap
from tests.factories import make_specialist
from tests.pages.html import read

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/find/",
    "/treatments/spinal-cord-stimulation/",
    "/conditions/failed-back-surgery-syndrome/",
    "/thanks/",
]


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)">', response.content.decode()).group(1)


@pytest.mark.parametrize("path", PAGES)
def test_english_stays_at_its_address_and_spanish_is_under_es(client, path):
    english = client.get(path, HTTP_ACCEPT_LANGUAGE="es", HTTP_COOKIE="django_language=es")
    spanish = client.get(f"/es{path}")
    assert english.status_code == spanish.status_code == 200
    # The address decides, not the browser: no redirect, no negotiation on pages.
    assert (html_lang(english), english["Content-Language"]) == ("en", "en")
    assert (html_lang(spanish), spanish["Content-Language"]) == ("es", "es")


@pytest.mark.parametrize(
    "path", ["/en/", "/fr/", "/es-mx/", "/fr/treatments/nerve-block/", "/es/admin/"]
)
def test_a_language_the_site_does_not_serve_is_not_found(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/fr/", "/de/treatments/nerve-block/", "/pt-br/find/"])
def test_a_language_code_the_site_does_not_serve_gets_english(client, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="fr,de;q=0.9")
    assert response.status_code == 404
    assert (html_lang(response), response["Content-Language"]) == ("en", "en")
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize("path", ["/sitemap.xml", "/robots.txt", "/healthz", "/admin/"])
def test_site_files_and_the_admin_have_no_spanish_address(client, path):
    assert client.get(path).status_code in (200, 302)
    assert client.get(f"/es{path}").status_code == 404


@pytest.mark.parametrize("path", PAGES)
def test_every_page_names_its_versions_for_search_engines(client, path):
    for prefix in ("", "/es"):
        links = read(client.get(f"{prefix}{path}")).links
        alternates = {
            link["hreflang"]: link["href"] for link in links if link["rel"] == "alternate"
        }
        assert alternates == {
            "en": f"http://testserver{path}",
            "es": f"http://testserver/es{path}",
            "x-default": f"http://testserver{path}",
        }


def test_the_language_switch_keeps_the_page_and_its_query(client):
    query = "zip=10001&treatment=nerve-block&utm_source=news"
    english = client.get(f"/find/?{query}").content.decode()
    spanish = client.get(f"/es/find/?{query}").content.decode()
    switch = '<a class="language-switch" href="{}" hreflang="{}" lang="{}">{}</a>'
    escaped = query.replace("&", "&amp;")
    assert switch.format(f"/es/find/?{escaped}", "es", "es", "Español") in english
    assert switch.format(f"/find/?{escaped}", "en", "en", "English") in spanish


def test_a_missing_page_has_no_alternates_and_switches_to_the_other_home(client):
    response = client.get("/es/no-such-page/")
    assert response.status_code == 404
    assert [link for link in read(response).links if link["rel"] == "alternate"] == []
    assert 'class="language-switch" href="/"' in response.content.decode()


def test_the_sitemap_lists_both_languages_each_with_its_alternates(client):
    specialist = make_specialist()
    xml = client.get("/sitemap-specialists.xml").content.decode()
    urls = re.findall(r"<url>(.*?)</url>", xml, re.DOTALL)
    assert len(urls) == 2
    path = specialist.get_absolute_url()
    for url in urls:
        alternates = dict(re.findall(r'hreflang="([^"]+)" href="([^"]+)"', url))
        assert alternates == {
            "en": f"http://testserver{path}",
            "es": f"http://testserver/es{path}",
            "x-default": f"http://testserver{path}",
        }


def test_a_sitemap_page_boundary_may_fall_between_two_languages_of_one_page(client, monkeypatch):
    specialists = [make_specialist() for _ in range(3)]
    monkeypatch.setattr(SpecialistSitemap, "limit", 4)
    index = client.get("/sitemap.xml").content.decode()
    assert index.count("sitemap-specialists.xml") == 2  # 6 addresses, 4 a page
    listed = []
    for page in (1, 2):
        xml = client.get("/sitemap-specialists.xml", {"p": page}).content.decode()
        listed += re.findall(r"<loc>http://testserver(.*?)</loc>", xml)
    assert listed == [
        path
        for specialist in specialists
        for path in (specialist.get_absolute_url(), f"/es{specialist.get_absolute_url()}")
    ]


@pytest.mark.parametrize(("start", "stop"), [(0, 3), (1, 2), (3, 7), (9, 10), (0, 10)])
def test_language_pairs_slice_like_the_list_they_stand_for(start, stop):
    items = ["a", "b", "c", "d", "e"]
    pairs = PagesInEveryLanguage(items, ["en", "es"])
    everything = [(item, language) for item in items for language in ("en", "es")]
    assert pairs.count() == len(pairs) == 10
    assert pairs[start:stop] == everything[start:stop]


def test_robots_keeps_the_private_pages_of_both_languages_out(client):
    lines = client.get("/robots.txt").content.decode().splitlines()
    for private in ("/find/", "/thanks/", "/es/find/", "/es/thanks/"):
        assert f"Disallow: {private}" in lines


def test_the_active_language_outside_what_the_site_serves_is_english():
    assert language_current() == "en"
    for code, expected in (("es", "es"), ("es-mx", "es"), ("fr", "en"), ("en-gb", "en")):
        with translation.override(code):
            assert language_current() == expected


def test_the_languages_check_holds_settings_to_what_leads_can_store(settings):
    assert languages_check(None) == []
    settings.LANGUAGES = [("en", "English"), ("es", "Español"), ("fr", "Français")]
    (error,) = languages_check(None)
    assert isinstance(error, Error)
    settings.LANGUAGES = [("en", "English"), ("es", "Español")]
    settings.LANGUAGE_CODE = "es"
    assert len(languages_check(None)) == 1


def test_the_catalogues_check_wants_each_catalogue_compiled_and_current(settings, tmp_path):
    folder = tmp_path / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    settings.LOCALE_PATHS = [tmp_path]
    (folder / "django.po").write_text("")
    assert [problem.id for problem in catalogues_check(None)] == ["core.E002"]
    (folder / "django.mo").write_bytes(b"")
    os.utime(folder / "django.mo", (0, 0))
    assert [problem.id for problem in catalogues_check(None)] == ["core.W001"]
    os.utime(folder / "django.po", (0, 0))
    assert catalogues_check(None) == []
