"""python manage.py runimports [--once] [--tick SECONDS]"""
import time

from django.core.management.base import BaseCommand

from directory.curation import jobs
from directory.management.commands.runschedule import _fresh_connections


class Command(BaseCommand):
    help = ("Write the curators' queued CSV imports (import jobs), oldest first, in batches of IMPORT_BATCH_ROWS "
            "rows, one transaction each, with each job's progress saved with its batch. Safe on several "
            "machines at once: each job is claimed by one worker. A job whose worker fell silent for "
            "IMPORT_JOB_STALE_SECONDS is queued again and continues from its first unwritten row. "
            "--once runs what is queued now, then stops; otherwise it looks again every --tick seconds, forever.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run the queued jobs, then stop")
        parser.add_argument("--tick", type=float, default=2.0, help="seconds between looks at the queue")
        parser.add_argument("--max-ticks", type=int, default=None, help="stop after this many looks (for tests)")

    def handle(self, *args, once=False, tick=2.0, max_ticks=None, **options):
        ticks = 0
        while True:
            _fresh_connections()
            for job in jobs.run_queued():
                self.stdout.write(f"Import {job.pk} ({job.file_name}): {job.get_state_display().lower()}, "
                                  f"{job.rows_done} of {job.rows_total} rows written, {job.created_count} added, "
                                  f"{job.updated_count} changed, {job.unchanged_count} unchanged."
                                  + (f" {job.message}" if job.message else ""))
            ticks += 1
            if once or (max_ticks is not None and ticks >= max_ticks):
                return
            time.sleep(tick)
