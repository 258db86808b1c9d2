from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads and messages"

    def ready(self):
        # Registers the tasks with Celery in every process, not only in workers (which
        # autodiscover them): the outbox finds its send tasks by name in the registry.
        from core.metrics import on_scrape

        from . import checks, tasks  # noqa: F401
        from .management import create_marketing_group
        from .metrics import outbox_figures

        post_migrate.connect(create_marketing_group, sender=self)
        # Every scrape of /metrics also reads the outbox's rows by status.
        on_scrape(outbox_figures)
