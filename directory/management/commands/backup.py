import gzip
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

# Rebuilt by `migrate` in any database: never part of a backup. The maintained search tables
# are derived from the services; `restore` recomputes them (docs/adr/0012).
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "directory.ServiceDistrict", "directory.ServiceSearchIndex"]


class Command(BaseCommand):
    help = (
        "Write everything curators and users have put in the database (services, history, sources of facts, "
        "users and their groups, places, the needs model) to one gzipped JSON file that `restore` loads into an "
        "empty database, SQLite or PostgreSQL alike. Default file: backups/backup-<date and time>.json.gz. "
        "The file holds password hashes and two-factor keys: keep it as safe as the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="Where to write the backup (a .json.gz file).")

    def handle(self, *args, **options):
        started = time.perf_counter()
        path = Path(options["output"] or Path(settings.BASE_DIR) / "backups" /
                    f"backup-{timezone.now():%Y%m%d-%H%M%S}.json.gz")
        path.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(path, "wt", encoding="utf-8") as out:
            # Natural keys: groups, permissions and content types are matched by name, not by id,
            # so the file loads into a database whose ids differ.
            call_command("dumpdata", exclude=EXCLUDED, natural_foreign=True, natural_primary=True, stdout=out)
        size = path.stat().st_size
        self.stdout.write(self.style.SUCCESS(
            f"Backup written to {path} ({size / 1024:.0f} KiB) in {time.perf_counter() - started:.1f}s."))
