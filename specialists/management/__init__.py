"""``post_migrate`` handler: the built-in catalog exists after every ``migrate`` (and
``flush``), as ``django.contrib.sites`` creates its default site."""

from django.apps import apps as global_apps
from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS

from specialists.catalog import catalog_load


def load_catalog(app_config, verbosity=2, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs):
    try:
        apps.get_model("specialists", "Treatment")._meta.get_field("content_hash_es")
    except (LookupError, FieldDoesNotExist):
        # Migrated back past the migration that tracks what the loader wrote in Spanish.
        return
    written = catalog_load(apps=apps, using=using)
    if written and verbosity >= 2:
        print(f"Loaded {written} catalog rows from content files")
