"""What the site does while a curator's CSV import of thousands of services is written (issue 26).

Usage: .venv/bin/python bench/imports.py [--database sqlite|postgres|URL] [--rows 3000]
           [--path job|transaction] [--batch ROWS] [--journal wal|delete] [--interval 0.25]

It prepares a database of its own (a temporary SQLite file, or `bench_import` on the local
PostgreSQL, dropped and created; a URL must name a database or file containing "bench"), runs
`migrate` and `loadseed` there, then imports --rows generated services (fictional: "Generated
group N", no contact details) through the curators' CSV import. `--path job` (the default, since
docs/adr/0026) does what the admin's confirmation of a large file does: an import job, claimed and
written by the worker's code (directory/curation/jobs.py) in batches of at most --batch rows
(IMPORT_BATCH_ROWS) and about IMPORT_BATCH_SECONDS, one transaction each. `--path transaction` writes every row in one
transaction (ServiceResource.import_data), as the confirmation did before. While it is written, in
threads with connections of their own:

- a visitor asks /healthz and a seeded service's page every --interval seconds;
- a curator saves another (seeded) service every 2 seconds, in a transaction of its own.

It prints how long the import took and, for each of the three, how many were asked during the
import, how many failed, and the median and slowest answer. `--journal delete` runs SQLite in its
default mode, as the site did before issue 26, to compare. Results taken here: bench/results/imports.txt.
"""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_databases import prepared_database_url  # bench/bench_databases.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def database_url(choice, tmp):
    """The bench's own database URL, prepared empty (bench/bench_databases.py)."""
    return prepared_database_url(choice, tmp, name="bench_import")


def generated(rows, organisation):
    import tablib

    headers = ["slug", "name", "organisation", "status", "summary", "levels", "focus", "age_range",
               "age_from_months", "age_to_months", "no_referral_route_reason"]
    return tablib.Dataset(*[
        [f"generated-group-{n}", f"Generated group {n}", organisation, "draft", "A weekly group for parents and babies.",
         "universal", "additional", "range", "0", "12", "Drop in: no referral needed."] for n in range(rows)],
        headers=headers)


class Probe(threading.Thread):
    """Does `ask()` every `interval` seconds until stopped; records (seconds, error or None)."""

    def __init__(self, name, ask, interval):
        super().__init__(daemon=True)
        self.label, self.ask, self.interval = name, ask, interval
        self.results, self.stopping = [], threading.Event()

    def run(self):
        from django.db import connection

        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                error = self.ask()
            except Exception as exception:  # noqa: BLE001 - a failure is what is measured
                error = f"{type(exception).__name__}: {exception}"[:80]
            self.results.append((time.monotonic() - started, error))
            self.stopping.wait(self.interval)
        connection.close()

    def summary(self):
        times = [seconds for seconds, _ in self.results]
        failures = [error for _, error in self.results if error]
        if not times:
            return f"{self.label:<28} nothing asked"
        line = (f"{self.label:<28} {len(times):>5} asked  {len(failures):>4} failed  "
                f"median {statistics.median(times) * 1000:>7.0f} ms  slowest {max(times) * 1000:>7.0f} ms")
        return line + (f"  (first failure: {failures[0]})" if failures else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--path", choices=["job", "transaction"], default="job")
    parser.add_argument("--batch", type=int, default=None, help="rows a batch (default IMPORT_BATCH_ROWS)")
    parser.add_argument("--journal", choices=["wal", "delete"], default="wal")
    parser.add_argument("--interval", type=float, default=0.25)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    url = database_url(args.database, tmp)
    os.environ.update({"DATABASE_URL": url, "DEBUG": "1", "ALLOWED_HOSTS": "testserver", "CACHE_PAGES": "0",
                       "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "config.settings"})
    import django
    from django.conf import settings

    django.setup()
    import logging

    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # failures are counted, not printed
    if args.journal == "delete":
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
            raise SystemExit("--journal is for SQLite only")
        settings.DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=DELETE;"
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, models, transaction
    from django.test import Client

    from directory.curation.bulk import ServiceResource
    from directory.models import Organisation, Service

    print(f"Database: {connection.vendor} ({url}){', journal ' + args.journal if connection.vendor == 'sqlite' else ''}")
    import io

    call_command("migrate", verbosity=0)
    call_command("loadseed", verbosity=0, stdout=io.StringIO())
    curator = get_user_model().objects.create_superuser("bench", "bench@example.org", "a-long-bench-password")
    seeded = list(Service.objects.order_by("pk").values_list("slug", flat=True)[:2])
    dataset = generated(args.rows, Organisation.objects.order_by("pk").first().slug)
    connection.close()

    visitor = Client()

    def healthz():
        response = visitor.get("/healthz")
        return None if response.status_code == 200 else f"status {response.status_code}"

    def page():
        response = visitor.get(f"/services/{seeded[0]}/")
        return None if response.status_code == 200 else f"status {response.status_code}"

    def curator_save():
        with transaction.atomic():
            Service.objects.filter(slug=seeded[1]).update(name=models.F("name"))

    probes = [Probe("/healthz", healthz, args.interval), Probe("a service page", page, args.interval),
              Probe("a curator's save", curator_save, 2.0)]
    outcome = {}

    if args.batch:
        settings.IMPORT_BATCH_ROWS = args.batch

    def run_import():
        try:
            if args.path == "job":
                from directory.curation import jobs

                jobs.job_create(user=curator, kind=0, file_name="bench.csv", content=dataset.csv)
                (outcome["job"],) = jobs.run_queued()
            else:
                outcome["result"] = ServiceResource().import_data(dataset, dry_run=False, user=curator)
        finally:
            connection.close()

    importer = threading.Thread(target=run_import)
    started = time.monotonic()
    importer.start()
    time.sleep(0.5)  # the import has begun writing
    for probe in probes:
        probe.start()
    importer.join()
    seconds = time.monotonic() - started
    for probe in probes:
        probe.stopping.set()
    for probe in probes:
        probe.join()
    if args.path == "job":
        job = outcome.get("job")
        if job is None or job.state != "done":
            raise SystemExit(f"The import job failed: {getattr(job, 'message', 'no job ran')}")
        created, how = job.created_count, (f"in batches of at most {settings.IMPORT_BATCH_ROWS} rows and about "
                                           f"{settings.IMPORT_BATCH_SECONDS} s (an import job)")
    else:
        result = outcome.get("result")
        if result is None or result.has_errors() or result.has_validation_errors():
            raise SystemExit("The import failed.")
        created, how = result.totals["new"], "one transaction"
    print(f"Imported {created} services in {seconds:.1f} s ({seconds / args.rows * 1000:.0f} ms a row, "
          f"{args.rows / seconds:.1f} rows a second), {how}. While it was written:")
    for probe in probes:
        print("  " + probe.summary())


if __name__ == "__main__":
    main()
