"""Import jobs: a curator's confirmed CSV import written in batches outside the request (issue 26,
docs/adr/0026).

- The admin's confirmation (after the dry run showed every row valid) stores the file in an
  `ImportJob` (`job_create`). A file of at most IMPORT_IN_REQUEST_ROWS rows is written at once, in
  the request, in one transaction (`job_run_now`); a larger one waits for a worker: `manage.py runimports`, or the scheduler's
  loop (`runschedule`), both calling `run_queued`.
- A worker takes a job with `job_claim`: on PostgreSQL the oldest queued job no other
  transaction has locked (`FOR UPDATE SKIP LOCKED`), and on every database a conditional
  `UPDATE ... WHERE state = 'queued'`, so of two workers (on two machines) one takes it.
  Each claim gets a fresh token; a batch commits only while its worker's token still holds.
- Rows are written in batches of at most `IMPORT_BATCH_ROWS` rows and about `IMPORT_BATCH_SECONDS`
  seconds, one transaction each, with the job's progress
  (`rows_done`, counts) committed in the same transaction: the job always says exactly which
  rows are written. A row is never half written. Between batches readers, `/healthz` and (on
  SQLite, one writer at a time) curators' saves get their turn.
- A batch that fails (a row no longer valid because the data changed since the preview, or an
  error) is rolled back whole and the job stops: rows before it are written, it and the rows
  after are not, and the job page says so with each refused row's problem.
- A job whose worker went silent (a crash, a restart) for `IMPORT_JOB_STALE_SECONDS` is put back
  in the queue and continues from its first unwritten row, at most `MAX_ATTEMPTS` times in all;
  then it is marked stopped.
"""
import logging
import os
import secrets
import socket
import time
from datetime import timedelta

import tablib
from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from import_export.formats.base_formats import CSV
from import_export.results import RowResult

from directory.curation.bulk import can_import, preview_rows
from directory.models import ImportJob, ImportJobState

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


def resources():
    """The kinds of file, in the order of the import page's choice (a job's `kind` indexes it)."""
    from directory.curation.bulk import ServiceResource
    from directory.curation.bulk_routes import RouteResource, VenueResource

    return [ServiceResource, RouteResource, VenueResource]


def can_see_jobs(user):
    """Who may start an import job or see one: whoever may import (IMHSG editors, superusers).
    Every such editor sees every job: an import writes published records any of them may edit,
    and a colleague may need to know whether one finished."""
    return can_import(user)


def read_dataset(content):
    """The file's rows (a tablib Dataset), read as the admin's import reads it."""
    return CSV(encoding="utf-8-sig").create_dataset(content)


def job_create(*, user, kind, file_name, content):
    """A queued job for a file the dry run found clean. `kind` indexes the admin's resources."""
    if not 0 <= kind < len(resources()):
        raise ValueError(f"no kind of import numbered {kind}")
    total = len(read_dataset(content))
    return ImportJob.objects.create(user=user, kind=kind, file_name=(file_name or "")[:255], content=content,
                                    rows_total=total)


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def _take(pk, token, worker, now):
    """Claim job `pk` if it is still queued; True if this call took it."""
    return bool(ImportJob.objects.filter(pk=pk, state=ImportJobState.QUEUED).update(
        state=ImportJobState.RUNNING, claim=token, worker=worker, heartbeat_at=now,
        started_at=now, attempts=F("attempts") + 1, message=""))


def job_claim(*, worker=None):
    """The oldest queued job, now running under a fresh claim token, or None if none is queued.
    Two workers never take the same job (module docstring)."""
    worker = worker or worker_name()
    for _ in range(5):  # another worker may take the one this saw first; try the next
        token = secrets.token_hex(16)
        with transaction.atomic():
            queued = ImportJob.objects.filter(state=ImportJobState.QUEUED).order_by("created_at", "pk")
            if connection.features.has_select_for_update_skip_locked:
                queued = queued.select_for_update(skip_locked=True)
            pk = queued.values_list("pk", flat=True).first()
            if pk is None:
                return None
            taken = _take(pk, token, worker, timezone.now())
        if taken:
            return ImportJob.objects.get(pk=pk)
    return None


def jobs_reclaim_stale(*, now=None):
    """Running jobs whose worker has been silent for IMPORT_JOB_STALE_SECONDS: queued again to
    continue from their first unwritten row, or stopped after MAX_ATTEMPTS. Returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.IMPORT_JOB_STALE_SECONDS)
    stale = ImportJob.objects.filter(state=ImportJobState.RUNNING, heartbeat_at__lt=cutoff)
    count = 0
    for job in stale.only("pk", "attempts", "heartbeat_at", "rows_done", "rows_total"):
        # Conditional on the heartbeat this saw: a worker that just finished a batch keeps its job.
        same = ImportJob.objects.filter(pk=job.pk, state=ImportJobState.RUNNING, heartbeat_at=job.heartbeat_at)
        if job.attempts < MAX_ATTEMPTS:
            count += same.update(state=ImportJobState.QUEUED, claim="")
        else:
            count += same.update(state=ImportJobState.FAILED, claim="", finished_at=now, message=(
                f"The importer stopped {job.attempts} times while writing this file, so it was not tried again. "
                + written_words(job.rows_done, job.rows_total)))
    return count


def written_words(done, total):
    """Which rows of the file are written, in words (row 1 of the file names the columns)."""
    if done == 0:
        return "No row was written."
    if done >= total:
        return f"Every row was written (rows 2 to {total + 1})."
    return (f"Rows 2 to {done + 1} were written and saved. Rows {done + 2} to {total + 1} were not written. "
            "Upload the same file again to write the rest: rows already written show as unchanged.")


class LostClaim(Exception):
    """Another worker took this job (this one was silent too long): stop without writing."""


class BatchRefused(Exception):
    def __init__(self, result):
        self.result = result


FIRST_BATCH = 10  # rows: enough to time a row before sizing the batches after it


def job_run(job, *, batch_rows=None, batch_seconds=None, pause=None, after_batch=None):
    """Write the claimed `job`'s rows from its first unwritten one, a batch per transaction: at
    most `batch_rows` rows (IMPORT_BATCH_ROWS) and, once a row has been timed, as many as take
    about `batch_seconds` (IMPORT_BATCH_SECONDS; 0: no limit), so that on a slow machine a
    waiting SQLite writer still waits less than SQLITE_TIMEOUT. `after_batch(job)` is called after
    each committed batch (the tests' window between batches). Returns the job as it ended."""
    batch_rows = batch_rows or settings.IMPORT_BATCH_ROWS
    batch_seconds = settings.IMPORT_BATCH_SECONDS if batch_seconds is None else batch_seconds
    pause = settings.IMPORT_BATCH_PAUSE if pause is None else pause
    size = min(batch_rows, FIRST_BATCH) if batch_seconds else batch_rows
    resource_class = resources()[job.kind]
    try:
        dataset = read_dataset(job.content)
    except Exception as error:  # noqa: BLE001 - a file that cannot be read is the curator's to fix
        return _stop(job, f"The file could not be read as CSV ({type(error).__name__}). Nothing more was written. "
                          + written_words(job.rows_done, job.rows_total))
    total = len(dataset)
    start = job.rows_done
    while start < total:
        stop = min(start + size, total)
        batch = tablib.Dataset(*dataset[start:stop], headers=dataset.headers)
        began = time.monotonic()
        try:
            with transaction.atomic():
                result = resource_class().import_data(
                    batch, dry_run=False, raise_errors=False, rollback_on_validation_errors=True,
                    use_transactions=True, file_name=job.file_name, user=job.user,
                    retain_instance_in_row_result=True)
                if result.has_errors() or result.has_validation_errors():
                    raise BatchRefused(result)
                counts = {kind: result.totals[kind] for kind in
                          (RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE, RowResult.IMPORT_TYPE_SKIP)}
                _log_entries(job, result)
                moved = ImportJob.objects.filter(
                    pk=job.pk, claim=job.claim, state=ImportJobState.RUNNING, rows_done=start,
                ).update(rows_done=stop, heartbeat_at=timezone.now(),
                         created_count=F("created_count") + counts[RowResult.IMPORT_TYPE_NEW],
                         updated_count=F("updated_count") + counts[RowResult.IMPORT_TYPE_UPDATE],
                         unchanged_count=F("unchanged_count") + counts[RowResult.IMPORT_TYPE_SKIP])
                if not moved:
                    raise LostClaim
        except LostClaim:
            logger.warning("import job %s: claim lost before rows %s-%s; stopped", job.pk, start + 2, stop + 1)
            job.refresh_from_db()
            return job
        except BatchRefused as refused:
            return _stop(job, _refused_words(start, stop, job.rows_total), _problems(refused.result, resource_class,
                                                                                    start))
        except Exception as error:  # noqa: BLE001 - the job says it stopped; the log has the trace
            logger.exception("import job %s failed in rows %s-%s", job.pk, start + 2, stop + 1)
            return _stop(job, f"An error stopped the import at rows {start + 2} to {stop + 1} "
                              f"({type(error).__name__}); none of those rows was written. "
                              + written_words(start, job.rows_total))
        if batch_seconds:
            per_row = (time.monotonic() - began) / (stop - start)
            size = max(1, min(batch_rows, int(batch_seconds / per_row) if per_row else batch_rows))
        start = stop
        job.refresh_from_db()
        if after_batch is not None:
            after_batch(job)
        if pause and start < total:
            time.sleep(pause)  # SQLite: a waiting curator's save takes the lock now
    ImportJob.objects.filter(pk=job.pk, claim=job.claim, state=ImportJobState.RUNNING).update(
        state=ImportJobState.DONE, finished_at=timezone.now(), claim="")
    job.refresh_from_db()
    return job


def _refused_words(start, stop, total):
    return (f"The import stopped at rows {start + 2} to {stop + 1}: at least one of them is no longer valid "
            "(the directory changed since the preview). None of those rows was written. "
            + written_words(start, total))


def _problems(result, resource_class, start):
    """Each refused row of a batch: [row number in the file, column, what is wrong]."""
    found = []
    for row in preview_rows(result, resource_class):
        for column, message, _fix in row.problems:
            found.append([row.number + start, column, str(message)])
    return found[:100]


def _stop(job, message, problems=()):
    ImportJob.objects.filter(pk=job.pk, claim=job.claim).update(
        state=ImportJobState.FAILED, finished_at=timezone.now(), claim="", message=message, problems=list(problems))
    job.refresh_from_db()
    return job


def _log_entries(job, result):
    """The admin's "recent actions", as the library writes them for an import in the request."""
    if job.user_id is None:
        return
    for import_type, flag in ((RowResult.IMPORT_TYPE_NEW, ADDITION), (RowResult.IMPORT_TYPE_UPDATE, CHANGE)):
        instances = [row.instance for row in result if row.import_type == import_type and row.instance is not None]
        if instances:
            LogEntry.objects.log_actions(job.user_id, instances, flag, change_message=f"{import_type} through import",
                                         single_object=len(instances) == 1)


def job_run_now(job):
    """Write a small file's job at once, in the caller's request, by the same rules."""
    token = secrets.token_hex(16)
    if not _take(job.pk, token, "request", timezone.now()):
        return job
    job.refresh_from_db()
    return job_run(job, batch_rows=max(job.rows_total, 1), batch_seconds=0, pause=0)  # one transaction


def run_queued(*, worker=None, limit=None):
    """Reclaim stale jobs, then run queued ones until none is left (or `limit` have run).
    Returns the jobs run."""
    jobs_reclaim_stale()
    ran = []
    while limit is None or len(ran) < limit:
        job = job_claim(worker=worker)
        if job is None:
            break
        ran.append(job_run(job))
    return ran
