import atexit

from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = "Marketing"

    def ready(self):
        from matcher.signals import search_performed

        from .services import search_record_received, search_tally_flush

        # The matcher announces each search; counting it is the funnel's business.
        search_performed.connect(search_record_received, dispatch_uid="marketing-search-tally")
        # A worker that exits cleanly writes the searches it counted but had not flushed.
        atexit.register(search_tally_flush)
