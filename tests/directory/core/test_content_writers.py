"""Issue 26: writers never wait for each other on the content version (docs/adr/0024).

A long transaction that saved content (an import of thousands of services) must not hold
every curator's save until it commits, nor deadlock with one; and the version must still
change when each of them commits, in the same snapshot as its data (docs/adr/0013).

These run on PostgreSQL, the production database, with connections of their own that
commit for real (the test's own connection never commits). They change no data: each
statement sets a column to itself, which fires the triggers all the same. SQLite lets one
writer at a time write the whole database, so there is nothing to test there.
"""
import threading
import time

import pytest
from django.db import connection

from directory.core import content

pytestmark = pytest.mark.django_db

TOUCH_VENUE = "UPDATE directory_venue SET name = name WHERE id = (SELECT MIN(id) FROM directory_venue)"
TOUCH_ACACIA = "UPDATE directory_service SET name = name WHERE slug = 'acacia'"
WAIT = 10  # seconds: far longer than any of these statements takes when nothing blocks it


@pytest.fixture
def connect():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time for the whole database")
    import psycopg2

    settings = connection.settings_dict
    opened = []

    def open_(autocommit=False):
        conn = psycopg2.connect(dbname=settings["NAME"], user=settings["USER"], password=settings["PASSWORD"],
                                host=settings["HOST"] or None, port=settings["PORT"] or None)
        conn.autocommit = autocommit
        with conn.cursor() as cursor:
            # A wait for a lock fails the statement instead of hanging the test.
            cursor.execute("SET lock_timeout = '%ss'", [WAIT])
        conn.commit()
        opened.append(conn)
        return conn

    yield open_
    for conn in opened:
        conn.rollback()
    # Slots made here are committed; leave the table as the other tests expect it: a row a kind.
    cleanup = open_(autocommit=True)
    with cleanup.cursor() as cursor:
        cursor.execute("DELETE FROM directory_contentversion WHERE id NOT IN (1, 2, 3, 4, 5)")  # each kind's first
    for conn in opened:
        conn.close()


def version(conn):
    """The committed version as another process reads it (content.current's rule)."""
    with conn.cursor() as cursor:
        cursor.execute("SELECT value FROM directory_contentversion")
        return content._combine(value for (value,) in cursor.fetchall())


def in_thread(work):
    """Run work() in a thread; return a function that waits for it and gives its result or error."""
    outcome = {}

    def run():
        started = time.monotonic()
        try:
            outcome["result"] = work()
        except Exception as error:  # noqa: BLE001 - handed back to the test
            outcome["error"] = error
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def wait():
        thread.join(WAIT + 5)
        assert not thread.is_alive(), "still waiting"
        if "error" in outcome:
            raise outcome["error"]
        return outcome["seconds"]

    return wait


def save_and_commit(conn, sql):
    def work():
        with conn.cursor() as cursor:
            cursor.execute(sql)
        conn.commit()
    return work


def test_a_long_transaction_that_saved_content_does_not_hold_a_curators_save(connect):
    reader = connect(autocommit=True)
    before = version(reader)
    long_import = connect()
    with long_import.cursor() as cursor:
        cursor.execute(TOUCH_VENUE)  # the import has saved content and is still going

    seconds = in_thread(save_and_commit(connect(), TOUCH_ACACIA))()
    assert seconds < 2, "the curator's save waited for the import"
    after_curator = version(reader)
    assert after_curator != before  # the curator's change shows at once, before the import ends

    long_import.commit()
    after_import = version(reader)
    assert after_import not in (before, after_curator)  # and the import's when it commits


def test_a_long_transaction_rolled_back_leaves_the_version_of_what_was_committed(connect):
    reader = connect(autocommit=True)
    long_import = connect()
    with long_import.cursor() as cursor:
        cursor.execute(TOUCH_VENUE)
    in_thread(save_and_commit(connect(), TOUCH_ACACIA))()
    committed = version(reader)
    long_import.rollback()
    assert version(reader) == committed


def test_an_import_and_a_curator_changing_the_same_service_do_not_deadlock(connect):
    # One row of the version made this a deadlock: the import held the version and wanted
    # the service; the curator held the service and wanted the version.
    reader = connect(autocommit=True)
    long_import, curator = connect(), connect()
    with long_import.cursor() as cursor:
        cursor.execute(TOUCH_VENUE)
    with curator.cursor() as cursor:
        cursor.execute(TOUCH_ACACIA)  # the curator holds Acacia's row, and saved content: no wait
    before = version(reader)

    def import_acacia():
        with long_import.cursor() as cursor:
            cursor.execute(TOUCH_ACACIA)  # waits for the curator's commit, as it must

    import_done = in_thread(import_acacia)
    time.sleep(0.5)
    curator.commit()
    import_done()  # no deadlock, no lock timeout
    after_curator = version(reader)
    assert after_curator != before
    long_import.commit()
    assert version(reader) != after_curator


def test_a_transaction_keeps_one_slot_and_the_reader_sees_its_own_changes(connect):
    writer = connect()
    with writer.cursor() as cursor:
        cursor.execute(TOUCH_VENUE)
        cursor.execute("SELECT current_setting('directory.content_slot_services')")
        slot = cursor.fetchone()[0]
        first = version(writer)
        cursor.execute(TOUCH_ACACIA)
        cursor.execute("SELECT current_setting('directory.content_slot_services')")
        assert cursor.fetchone()[0] == slot  # still the same slot: no second lock
        assert version(writer) != first  # every change is a new version, to the writer too
        cursor.execute("SELECT count(*) FROM directory_contentversion WHERE kind = 'services'")
        assert cursor.fetchone()[0] == 1  # nobody else wrote: still one row for the services' kind
    writer.commit()
