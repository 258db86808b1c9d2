from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared plumbing"

    def ready(self):
        from . import i18n  # noqa: F401  (registers the languages check)


class AdminConfig(admin_apps.AdminConfig):
    """Django's admin, with ``core.admin_site.AdminSite`` as ``admin.site`` (named in
    INSTALLED_APPS; ``core`` itself stays CoreConfig)."""

    default = False
    default_site = "core.admin_site.AdminSite"
