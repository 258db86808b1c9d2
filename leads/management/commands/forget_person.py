from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.audit import operator_login
from core.phones import us_phone_to_e164
from leads.models import ErasureRecord
from leads.privacy import person_forget


class Command(BaseCommand):
    help = (
        "Erase one person's data on request: their leads are anonymised, their newsletter "
        "subscription and e-book requests deleted, with every email owed or sent about them "
        "and every stored mail file naming them. An audit row records who and how much, "
        "never whom."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--phone", default="", help="also leads left with this number")

    def handle(self, *args, email, phone, **options):
        if "@" not in email:
            raise CommandError("--email: enter the person's email address.")
        try:
            phone = us_phone_to_e164(phone) if phone else ""
        except ValidationError as error:
            raise CommandError(f"--phone: {' '.join(error.messages)}") from None
        record = person_forget(
            email=email,
            phone=phone,
            actor=operator_login(),
            channel=ErasureRecord.Channel.COMMAND,
        )
        counts = ", ".join(
            f"{count} {what.replace('_', ' ')}" for what, count in record.counts.items()
        )
        self.stdout.write(f"Erased: {counts} (erasure #{record.pk}).")
