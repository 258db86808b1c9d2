"""System checks for what geo reads from outside the Python package."""

from django.core.checks import Warning, register

from .atlas import atlas_file


@register()
def us_atlas_installed(app_configs, **kwargs):
    """The map of search results needs us-atlas's state outlines from npm."""
    if atlas_file().is_file():
        return []
    return [
        Warning(
            f"{atlas_file()} is missing: result pages show no map.",
            hint="Run `npm ci` (`make install` does), or point US_ATLAS_FILE at the file.",
            id="geo.W001",
        )
    ]
