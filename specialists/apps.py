from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SpecialistsConfig(AppConfig):
    name = "specialists"
    verbose_name = "Specialist directory"

    def ready(self):
        from . import signals  # noqa: F401
        from .management import load_catalog

        post_migrate.connect(load_catalog, sender=self)
