import gzip
import os
import stat
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

# Rebuilt by `migrate` in any database: never part of a backup. The maintained search tables
# are derived from the services; `restore` recomputes them (docs/adr/0012).
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "directory.ServiceDistrict", "directory.ServiceSearchIndex"]


def excluded():
    """EXCLUDED, and every model without a table of its own (managed = False: SearchMatch, the
    shape of the search counts' common table expressions, ADR 25), which dumpdata would query."""
    from django.apps import apps

    return EXCLUDED + [model._meta.label for model in apps.get_models() if not model._meta.managed]


class Command(BaseCommand):
    help = (
        "Write everything curators and users have put in the database (services, history, sources of facts, "
        "users and their groups, places, the needs model) to one gzipped JSON file that `restore` loads into an "
        "empty database, SQLite or PostgreSQL alike. Default file: backups/backup-<date and time>.json.gz. "
        "The file holds password hashes and two-factor keys, so only its owner may read it (0600, in a "
        "backups/ folder made 0700): keep it as safe as the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="Where to write the backup (a .json.gz file).")

    def handle(self, *args, **options):
        started = time.perf_counter()
        path = Path(options["output"] or Path(settings.BASE_DIR) / "backups" /
                    f"backup-{timezone.now():%Y%m%d-%H%M%S}.json.gz")
        folder = path.parent
        if not folder.exists():
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.mkdir(mode=0o700, exist_ok=True)
        elif stat.S_IMODE(folder.stat().st_mode) & 0o077:
            self.stderr.write(self.style.WARNING(f"{folder} may be read by others; only the backup itself is owner-only."))
        # The file holds password hashes and two-factor keys. mkstemp creates it owner-only (0600),
        # whatever the umask, so it is never readable by others, not even before a chmod; it is
        # renamed into place once complete, so a failed backup leaves no half-written file and
        # an older file of the same name is replaced, not rewritten with its old permissions.
        handle, partial = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".partial")
        try:
            with os.fdopen(handle, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as out:
                # Natural keys: groups, permissions and content types are matched by name, not by id,
                # so the file loads into a database whose ids differ.
                call_command("dumpdata", exclude=excluded(), natural_foreign=True, natural_primary=True, stdout=out)
            os.replace(partial, path)
        except BaseException:
            os.unlink(partial)
            raise
        size = path.stat().st_size
        self.stdout.write(self.style.SUCCESS(
            f"Backup written to {path} ({size / 1024:.0f} KiB) in {time.perf_counter() - started:.1f}s."))
