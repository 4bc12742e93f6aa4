import time

from django.core.management.base import BaseCommand, CommandError

from directory.seed.loader import SeedError, load_seed


class Command(BaseCommand):
    help = (
        "Load the seed content from fixtures/: the 10 districts, 69 wards, every Birmingham postcode, the "
        "taxonomies, the 25 services of the needs assessment and the facts found on public web pages. "
        "Each thing is created once and remembered by a stable key: whatever curators later edit, rename, "
        "archive or delete is never overwritten or brought back. Every file is checked first; a bad file "
        "is reported by file, record and field and nothing is written. To take newer reference data "
        "(places, taxonomies) from changed files, use `updatereference`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true",
            help="Load only into a database that has never been seeded and has no services (used at deploy).",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            report = load_seed(only_if_empty=options["if_empty"])
        except SeedError as exc:
            raise CommandError(str(exc)) from None
        for line in report.lines():
            self.stdout.write(f"  {line}")
        self.stdout.write(self.style.SUCCESS(f"Seed loaded in {time.perf_counter() - started:.1f}s."))
