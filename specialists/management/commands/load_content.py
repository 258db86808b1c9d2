"""`manage.py load_content`: write the built-in catalog's content files to the database."""

from django.core.management.base import BaseCommand, CommandError

from specialists.catalog import ContentError, catalog_load


class Command(BaseCommand):
    help = (
        "Create the treatments, conditions and boards of specialists/content/ and update the "
        "rows nobody edited in the admin since the last load. `migrate` runs this too."
    )

    def handle(self, *args, **options):
        try:
            written = catalog_load()
        except ContentError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{written} catalog rows written.")
