import time
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from directory.core import content
from directory.models import Organisation, Service
from directory.models import SeedRecord
from directory.search.tables import deferred_refresh


class Command(BaseCommand):
    help = (
        "Load a backup written by `backup` into an empty database (migrate it first; `make restore` does). "
        "Refuses a database that already holds services, organisations or seed records, so it can never "
        "mix two directories. All or nothing: a file that fails to load writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup file (.json.gz).")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No backup file at {path}.")
        if Service.objects.exists() or Organisation.objects.exists() or SeedRecord.objects.exists():
            raise CommandError(
                "This database is not empty. Restore into a new, migrated database (point DATABASE_URL at it), "
                "so nothing is overwritten or mixed.")
        started = time.perf_counter()
        try:
            # The history is in the backup: loading must not write history of its own (simple-history
            # would record each many-to-many set as a change).
            # The search tables are not in a backup: each loaded service's rows are computed
            # once, at the end of the load (docs/adr/0012).
            with transaction.atomic(), override_settings(SIMPLE_HISTORY_ENABLED=False), deferred_refresh():
                call_command("loaddata", str(path), verbosity=0)
                content.bump()  # whatever version the backup carried, no cache made before survives
        except Exception as exc:  # loaddata raises several kinds; none must leave half a directory
            raise CommandError(f"The backup could not be loaded, and nothing was written: {exc}") from None
        self.stdout.write(self.style.SUCCESS(
            f"Restored {Service.objects.count()} services and {Organisation.objects.count()} organisations "
            f"from {path} in {time.perf_counter() - started:.1f}s."))
