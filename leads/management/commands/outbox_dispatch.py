"""Hand due outbox messages to Celery once, or keep doing it with --every: the relay.

`outbox_dispatch --every 1` is the Procfile's ``relay`` process: on PostgreSQL it hands each
message over the moment the transaction owing it commits (a notification wakes it), and
every SECONDS in any case. Several relays may run (each takes the rows it hands over).
Without a broker (``make run``: tasks run in-process) there is no beat, so follow-ups and
retries go out when this command runs.
"""

import logging
import signal

from django.core.management.base import BaseCommand

from leads.outbox import outbox_dispatch_due, outbox_relay

logger = logging.getLogger("leads.outbox")


class Command(BaseCommand):
    help = "Hand the email outbox's due messages to Celery: once, or as a relay with --every."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            metavar="SECONDS",
            help="keep running as the relay: at once when messages are owed (PostgreSQL), "
            "and this often in any case",
        )

    def handle(self, *args, every=None, **options):
        if not every:
            handed = outbox_dispatch_due()
            self.stdout.write(f"{handed} message(s) handed over")
            return
        stopping = []
        # SIGTERM (systemd, a Procfile runner) ends the loop between two hand-overs, never
        # between marking rows handed over and publishing them.
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        logger.info("outbox relay: handing messages over as they are owed and every %g s", every)
        outbox_relay(every=every, running=lambda: not stopping)
