from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared plumbing"

    def ready(self):
        # Registers the system checks: the cache's, and the languages'.
        from . import checks, i18n  # noqa: F401
