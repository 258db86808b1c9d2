"""Static files in production: WhiteNoise's hashed, compressed copies when collected, and
the plain names when not, so a missed `collectstatic` costs cache headers, never a page."""

import logging

from django.contrib.staticfiles import finders
from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class ForgivingManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Django's manifest storage raises ValueError (and the page answers 500) for a file
    the manifest does not list; this one falls back to the unhashed name, which WhiteNoise
    still serves (from the source folders when nothing was collected, see
    WHITENOISE_USE_FINDERS in the settings)."""

    manifest_strict = False
    _warned = False

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:
            # WhiteNoise also asks about names that exist nowhere (it probes for hashed
            # twins of the collected files); only a real source file is worth a warning.
            if not ForgivingManifestStaticFilesStorage._warned and finders.find(name):
                ForgivingManifestStaticFilesStorage._warned = True
                logger.warning(
                    "static files: %s is not collected; serving unhashed names. "
                    "Run `manage.py collectstatic` (the release step).",
                    name,
                )
            return name
