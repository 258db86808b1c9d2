import atexit

from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = "Marketing"

    def ready(self):
        from .services import search_tally_flush

        # A worker that exits cleanly writes the searches it counted but had not flushed.
        atexit.register(search_tally_flush)
