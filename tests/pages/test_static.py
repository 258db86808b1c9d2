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
