from django.apps import AppConfig


class SpecialistsConfig(AppConfig):
    name = "specialists"
    verbose_name = "Specialist directory"

    def ready(self):
        from . import signals  # noqa: F401
