"""Assets are the site's own, fingerprinted, compressed and cacheable (settings without DEBUG)."""

import re

from django.core.management import call_command
from django.test import Client


def test_stylesheet_is_fingerprinted_compressed_and_cached_for_a_year(db, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    # Only the site's own static/ directory: the admin's files are not what patients load.
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    client = Client()  # a fresh handler, so WhiteNoise indexes the files just collected

    html = client.get("/").content.decode()
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', html).group(1)
    response = client.get(stylesheet, headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "max-age=315360000" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"]


PRODUCTION_STORAGE = {"BACKEND": "core.staticfiles.ForgivingManifestStaticFilesStorage"}


def test_without_collectstatic_pages_still_answer_with_their_styles(db, settings, tmp_path):
    """A deploy that skipped the release step: no manifest, nothing collected."""
    settings.STATIC_ROOT = tmp_path  # empty: no manifest
    settings.WHITENOISE_USE_FINDERS = True  # what the settings choose without a manifest
    settings.STORAGES = {**settings.STORAGES, "staticfiles": PRODUCTION_STORAGE}
    client = Client()

    for path in ["/", "/find/?zip=10001", "/treatments/discectomy/", "/admin/login/"]:
        assert client.get(path).status_code == 200, path
    html = client.get("/").content.decode()
    assert 'href="/static/css/site.css"' in html
    assert client.get("/static/css/site.css").status_code == 200


def test_a_file_missing_from_the_manifest_keeps_its_plain_name(db, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STORAGES = {**settings.STORAGES, "staticfiles": PRODUCTION_STORAGE}
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.contrib.staticfiles.storage import staticfiles_storage

    assert re.fullmatch(
        r"css/site\.[0-9a-f]{12}\.css", staticfiles_storage.stored_name("css/site.css")
    )
    assert staticfiles_storage.url("admin/css/base.css") == "/static/admin/css/base.css"
