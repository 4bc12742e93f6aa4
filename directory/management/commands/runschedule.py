"""The scheduled jobs, for a deployment without cron (compose.yaml's `scheduler` service).

Each job is a management command that is safe to run more than once a day (each says so in
its help): pruning old search counts, the review reminders' digest, reminders to services
that have not answered an invitation. `runschedule` runs each once a day at its time
(Europe/London, TIME_ZONE), and on start any whose time has already passed today, so a
restart never skips a day; a job that fails is logged and tried again the next day.
`--once` runs every job now and stops; `--list` says what runs when. At every look at the
clock it also writes the curators' queued CSV imports (directory/curation/jobs.py).
"""
import logging
import time
from dataclasses import dataclass
from datetime import datetime, time as clock

from django.core.management import call_command
from django.db import close_old_connections, connection
from django.core.management.base import BaseCommand
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    at: clock
    command: str
    args: tuple = ()

    def __str__(self):
        return " ".join((self.command, *self.args))


# Inviting services (`invite_providers --service/--due`) is never scheduled: it writes to
# people who have not been written to, and an editor decides when (README "Inviting services").
JOBS = (
    Job(clock(6, 30), "prunesearchrecords"),
    Job(clock(7, 0), "send_review_reminders"),
    Job(clock(8, 0), "invite_providers", ("--remind",)),
)


def due(jobs, now, last_run):
    """The jobs whose time today has come (`now` is local time) and that have not run today."""
    return [job for job in jobs if now.time() >= job.at and last_run.get(job) != now.date()]


def _fresh_connections():
    """Drop connections that are too old or broken (a database restart overnight), as each web
    request does; never inside a transaction (a caller's, or a test's)."""
    if not connection.in_atomic_block:
        close_old_connections()


class Command(BaseCommand):
    help = ("Run the scheduled jobs (prunesearchrecords 06:30, send_review_reminders 07:00, "
            "invite_providers --remind 08:00, local time) once a day each, forever; a job whose time "
            "has passed today runs at start. --once runs every job now and stops; --list shows the schedule.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job now, then stop")
        parser.add_argument("--list", action="store_true", dest="show", help="say what runs when, and run nothing")
        parser.add_argument("--tick", type=float, default=60.0, help="seconds between looks at the clock")
        parser.add_argument("--max-ticks", type=int, default=None, help=(
            "stop after this many looks (for tests)"))

    def handle(self, *args, once=False, show=False, tick=60.0, max_ticks=None, **options):
        if show:
            for job in JOBS:
                self.stdout.write(f"{job.at:%H:%M} {job}")
            return
        if once:
            failed = [job for job in JOBS if not self.run(job)]
            self.run_imports()
            if failed:
                self.stderr.write(f"Failed: {', '.join(str(job) for job in failed)}")
            return
        last_run = {}
        ticks = 0
        self.stdout.write(f"Scheduler started; {len(JOBS)} jobs ({', '.join(str(job) for job in JOBS)}).")
        while max_ticks is None or ticks < max_ticks:
            now = timezone.localtime()
            for job in due(JOBS, now, last_run):
                last_run[job] = now.date()  # a failure is not retried until tomorrow: no mail storms
                self.run(job)
            self.run_imports()
            ticks += 1
            if max_ticks is None or ticks < max_ticks:
                time.sleep(tick)

    def run_imports(self):
        """Curators' queued CSV imports, at every look at the clock (docs/adr/0026), so that a
        deployment whose only worker is the scheduler still imports; `runimports` looks more often."""
        from directory.curation.jobs import run_queued

        _fresh_connections()
        try:
            for job in run_queued():
                self.stdout.write(f"Import {job.pk}: {job.get_state_display().lower()}, "
                                  f"{job.rows_done} of {job.rows_total} rows written")
        except Exception:  # noqa: BLE001 - the daily jobs must go on
            logger.exception("import jobs failed")
        finally:
            _fresh_connections()

    def run(self, job):
        started = datetime.now()
        self.stdout.write(f"Running {job}")
        _fresh_connections()
        try:
            call_command(job.command, *job.args, stdout=self.stdout, stderr=self.stderr)
        except Exception:  # noqa: BLE001 - one job's failure must not stop the others
            logger.exception("scheduled job failed: %s", job)
            return False
        finally:
            _fresh_connections()
        self.stdout.write(f"Finished {job} in {(datetime.now() - started).total_seconds():.1f} s")
        return True
