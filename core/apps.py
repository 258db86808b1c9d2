from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared plumbing"

    def ready(self):
        from . import i18n  # noqa: F401  (registers the languages check)
