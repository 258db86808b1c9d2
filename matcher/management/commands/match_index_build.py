"""`manage.py match_index_build`: write this host's match index snapshot file."""

from django.core.management.base import BaseCommand, CommandError

from matcher.index import snapshot_build, snapshot_dir


class Command(BaseCommand):
    help = (
        "Read the directory into a new match index snapshot file in MATCH_INDEX_DIR, which "
        "every web and worker process on this host maps. Web processes start it themselves "
        "when their index needs a new base; a release step may run it so the first process "
        "starts from a file. Exits at once when another build is running on the host."
    )

    def handle(self, *args, **options):
        directory = snapshot_dir()
        if directory is None:
            raise CommandError("MATCH_INDEX_DIR is empty: this host keeps no snapshot file.")
        path = snapshot_build(directory)
        if path is None:
            self.stdout.write("Another build is running on this host.")
        else:
            self.stdout.write(f"Wrote {path}.")
