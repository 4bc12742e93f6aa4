import time

from django.core.management.base import BaseCommand

from directory.seed import load_seed


class Command(BaseCommand):
    help = (
        "Load the seed content from fixtures/: the 10 districts, 69 wards, every Birmingham postcode, "
        "the taxonomies and the 25 services of the needs assessment. Idempotent: places and taxonomies "
        "are made to match the files; organisations and services are created once and never overwritten, "
        "so curators' edits survive a re-run."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        report = load_seed()
        for line in report.lines():
            self.stdout.write(f"  {line}")
        self.stdout.write(self.style.SUCCESS(f"Seed loaded in {time.perf_counter() - started:.1f}s."))
