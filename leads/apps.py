from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads and messages"

    def ready(self):
        # Registers the tasks with Celery in every process, not only in workers (which
        # autodiscover them): the outbox finds ``message_send`` by name in the registry.
        from . import tasks  # noqa: F401
        from .management import create_marketing_group

        post_migrate.connect(create_marketing_group, sender=self)
