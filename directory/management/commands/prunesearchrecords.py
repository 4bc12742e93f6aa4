from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from directory.search.record import retention_cutoff, search_records_prune


class Command(BaseCommand):
    help = (
        "Delete the counts of what people searched for (issue 22) of days more than SEARCH_RECORD_DAYS "
        f"(now {settings.SEARCH_RECORD_DAYS}) days ago; --days N keeps N days instead. The first search of each "
        "day prunes too, so this is a backstop: run it daily, e.g. from cron: "
        "'30 6 * * * cd /app && python manage.py prunesearchrecords'. Safe to run more than once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help="Keep this many days before today "
                                 f"(default SEARCH_RECORD_DAYS, {settings.SEARCH_RECORD_DAYS}).")

    def handle(self, *args, days=None, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be 1 or more.")
        today = timezone.localdate()
        cutoff = retention_cutoff(today, days)
        deleted = search_records_prune(today=today, days=days)
        self.stdout.write(f"Deleted {deleted} search record{'s' if deleted != 1 else ''} of days before "
                          f"{cutoff:%d %B %Y} (keeping {(today - cutoff).days} days before today).")
