"""Hand due outbox messages to Celery once, or every N seconds with --every.

Celery beat does this in production. Without a broker (``make run``: tasks run in-process)
there is no beat, so follow-ups and retries go out when this command runs.
"""

import time

from django.core.management.base import BaseCommand

from leads.outbox import outbox_dispatch_due


class Command(BaseCommand):
    help = "Send the email outbox's due messages (what Celery beat's sweep does)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=float, metavar="SECONDS", help="keep running, sweeping this often"
        )

    def handle(self, *args, every=None, **options):
        while True:
            handed = outbox_dispatch_due()
            self.stdout.write(f"{handed} message(s) handed over")
            if not every:
                return
            time.sleep(every)
