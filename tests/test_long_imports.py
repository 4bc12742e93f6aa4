"""Issue 26: an import of thousands of services, written all or nothing in one transaction
(docs/adr/0009, 0011), leaves the site answering while it is written (docs/adr/0024).

On PostgreSQL readers never wait for writers, and since the content version has slots
(tests/directory/core/test_content_writers.py) neither do curators' saves of other services.
On SQLite, write-ahead logging (config/settings.py) keeps readers answering: in SQLite's
default mode a long write locks the whole file once it outgrows the page cache, and every
page and /healthz failed with "database is locked" for the import's duration (152 s for
3,000 services). bench/imports.py measures it at full size.
"""
import threading
import time

import pytest
import tablib
from django.db import connection
from django.test import Client

from directory.curation.bulk import ServiceResource
from directory.models import Organisation, Service

pytestmark = pytest.mark.django_db
# Enough rows to ask /healthz several times during the import on these machines (about 0.2 s a row);
# bench/imports.py measures thousands.
ROWS = 150


def open_sqlite(path, options):
    from django.db.backends.sqlite3.base import DatabaseWrapper

    wrapper = DatabaseWrapper({
        "ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "OPTIONS": dict(options), "USER": "",
        "PASSWORD": "", "HOST": "", "PORT": "", "ATOMIC_REQUESTS": False, "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False, "TIME_ZONE": None, "TEST": {}}, alias=f"probe-{path.name}")
    wrapper.ensure_connection()
    return wrapper


def reader_waits_for_a_long_write(tmp_path, options):
    """Whether a reader fails while another connection's write of 10 MB is not yet committed."""
    from django.db import OperationalError

    path = tmp_path / "directory.sqlite3"
    writer = open_sqlite(path, options)
    with writer.cursor() as cursor:
        cursor.execute("CREATE TABLE probe (body text)")
    reader = open_sqlite(path, {**options, "timeout": 1})
    try:
        writer.set_autocommit(False)
        with writer.cursor() as cursor:
            cursor.executemany("INSERT INTO probe VALUES (%s)", [("x" * 500,)] * 20000)  # beyond the page cache
        try:
            with reader.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM probe")
                assert cursor.fetchone() == (0,)  # nothing committed yet
            return False
        except OperationalError as error:
            assert "locked" in str(error)
            return True
        finally:
            writer.rollback()
    finally:
        writer.close()
        reader.close()


def test_on_sqlite_a_long_write_leaves_readers_answering(tmp_path, settings):
    assert "journal_mode=WAL" in settings.SQLITE_OPTIONS["init_command"]
    if connection.vendor == "sqlite" and "memory" not in str(connection.settings_dict["NAME"]):
        assert connection.settings_dict["OPTIONS"]["init_command"] == settings.SQLITE_OPTIONS["init_command"]
    assert not reader_waits_for_a_long_write(tmp_path, settings.SQLITE_OPTIONS)
    # SQLite's default, which the site ran with before: the reader fails.
    assert reader_waits_for_a_long_write(tmp_path / "..", {"init_command": "PRAGMA journal_mode=DELETE;",
                                                           "timeout": 1})


def generated_services(count, organisation):
    rows = [["slug", "name", "organisation", "status", "summary", "levels", "focus", "age_range",
             "age_from_months", "age_to_months", "no_referral_route_reason"]]
    for number in range(count):
        rows.append([f"generated-group-{number}", f"Generated group {number}", organisation, "draft",
                     "A weekly group for parents and babies.", "universal", "additional", "range", "0", "12",
                     "Drop in: no referral needed."])
    return tablib.Dataset(*rows[1:], headers=rows[0])


def test_healthz_answers_all_the_while_an_import_is_written(curator):
    if connection.vendor == "sqlite":
        pytest.skip("the test database is SQLite in memory, which has no journal: see the test above")
    dataset = generated_services(ROWS, Organisation.objects.order_by("pk").first().slug)
    outcome = {}

    def import_them():
        # Its own connection, and a real transaction of every row. The dry run writes every
        # row as the confirmed import does, then rolls it all back: nothing is left behind.
        try:
            outcome["result"] = ServiceResource().import_data(dataset, dry_run=True, user=curator)
        finally:
            connection.close()

    started = time.monotonic()
    thread = threading.Thread(target=import_them, daemon=True)
    thread.start()
    answers = []
    visitor = Client()
    while thread.is_alive():
        asked = time.monotonic()
        response = visitor.get("/healthz")
        answers.append((response.status_code, time.monotonic() - asked))
        time.sleep(0.05)
    thread.join()
    seconds = time.monotonic() - started
    result = outcome["result"]
    assert not result.has_errors() and not result.has_validation_errors(), [
        row.error_dict for row in result.invalid_rows[:3]]
    assert result.totals["new"] == ROWS
    assert len(answers) >= 5, f"the import took {seconds:.1f} s; too quick to ask during it"
    assert {status for status, _ in answers} == {200}
    assert max(took for _, took in answers) < 2, "/healthz waited for the import"
    assert not Service.objects.filter(slug__startswith="generated-group-").exists()
