from django.core.management.base import BaseCommand, CommandError

from directory.seed.reference import CONFLICT, DELETED, UPDATE, update_reference
from directory.seed.loader import SeedError


class Command(BaseCommand):
    help = (
        "Compare the reference data in fixtures/ (districts and their figures, wards, postcodes, taxonomy names) "
        "with what loadseed seeded and what the database holds now, and report every difference. With --apply, "
        "update only what nobody has edited since it was seeded; a curator's correction is kept and reported, "
        "never overwritten; a deleted record stays deleted. Without --apply nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Write the updates (default: preview only).")

    def handle(self, *args, **options):
        try:
            changes = update_reference(apply=options["apply"])
        except SeedError as exc:
            raise CommandError(str(exc)) from None
        for change in changes:
            self.stdout.write(change.line())
        counts = {action: sum(c.action == action for c in changes) for action in (UPDATE, CONFLICT, DELETED)}
        verb = "updated" if options["apply"] else "to update (preview: run with --apply to write)"
        self.stdout.write(self.style.SUCCESS(
            f"{counts[UPDATE]} {verb}; {counts[CONFLICT]} kept as curators left them; {counts[DELETED]} left deleted."
        ))
