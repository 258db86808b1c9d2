from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads and messages"

    def ready(self):
        # Registers the tasks with Celery in every process, not only in workers (which
        # autodiscover them): the outbox finds ``message_send`` by name in the registry.
        from core.metrics import on_scrape

        from . import checks, tasks  # noqa: F401
        from .metrics import outbox_figures

        on_scrape(outbox_figures)
