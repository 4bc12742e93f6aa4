"""Import jobs (issue 26, docs/adr/0026): a confirmed CSV import larger than one batch is queued,
written by a worker in batches (one transaction each, progress committed with its batch), and
followed on its page; who may start or see one; a job whose rows became invalid, a worker that
went silent, a worker that lost its claim."""
import csv
import io
import json
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from directory.curation import jobs
from directory.models import ImportJob, ImportJobState, Organisation, Service

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:directory_service_import")
PROCESS = reverse("admin:directory_service_process_import")
JOBS = reverse("import-jobs")
HEADERS = ["slug", "name", "organisation", "status", "summary", "levels", "focus", "age_range",
           "age_from_months", "age_to_months", "no_referral_route_reason"]


def services_file(count, organisation="acacia-family-support", start=0):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for number in range(start, start + count):
        writer.writerow([f"job-group-{number}", f"Job group {number}", organisation, "draft",
                         "A weekly group for parents and babies.", "universal", "additional", "range", "0", "12",
                         "Drop in: no referral needed."])
    return out.getvalue()


def written():
    return set(Service.objects.filter(slug__startswith="job-group-").values_list("slug", flat=True))


def slugs(numbers):
    return {f"job-group-{number}" for number in numbers}


def upload_and_confirm(client, text, name="services.csv"):
    preview = client.post(IMPORT, {"format": "0", "resource": "0",
                                   "import_file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")})
    assert "confirm_form" in preview.context, preview.content.decode()[:2000]
    form = preview.context["confirm_form"]
    return client.post(PROCESS, {key: form.initial[key] for key in
                                 ("import_file_name", "original_file_name", "format", "resource")})


@pytest.fixture
def small_batches(settings):
    settings.IMPORT_BATCH_ROWS = settings.IMPORT_IN_REQUEST_ROWS = 3
    settings.IMPORT_BATCH_PAUSE = 0
    return 3


def queued_job(user, count=7, **fields):
    return jobs.job_create(user=user, kind=0, file_name="services.csv", content=services_file(count))


# --- The curator's journey through the test client ------------------------------------------------

def test_a_large_file_is_queued_then_the_worker_writes_exactly_its_services(curator_client, curator, small_batches):
    response = upload_and_confirm(curator_client, services_file(7))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("import-job", args=[job.pk])
    assert (job.state, job.rows_total, job.rows_done, job.user) == (ImportJobState.QUEUED, 7, 0, curator)
    assert written() == set()  # nothing in the request
    page = curator_client.get(response.url)
    assert "Waiting for the importer to start." in page.content.decode()
    assert "The file&#x27;s 7 rows are waiting to be imported, in batches." in page.content.decode()

    out = io.StringIO()
    call_command("runimports", "--once", stdout=out)
    job.refresh_from_db()
    assert (job.state, job.rows_done, job.created_count, job.updated_count, job.unchanged_count) == (
        ImportJobState.DONE, 7, 7, 0, 0)
    assert written() == slugs(range(7))
    assert "7 of 7 rows written, 7 added" in out.getvalue()
    assert LogEntry.objects.filter(user=curator, action_flag=1).count() == 7  # the admin's recent actions
    content = curator_client.get(response.url).content.decode()
    assert "Finished: all 7 rows imported (7 added, 0 changed, 0 unchanged)." in content
    # Run again: nothing queued, nothing changes.
    call_command("runimports", "--once", stdout=io.StringIO())
    assert Service.objects.filter(slug__startswith="job-group-").count() == 7


def test_a_file_of_one_batch_is_written_in_the_request_all_or_nothing(curator_client, small_batches):
    response = upload_and_confirm(curator_client, services_file(3))
    job = ImportJob.objects.get()
    assert job.state == ImportJobState.DONE and job.worker == "request"
    assert written() == slugs(range(3))
    page = curator_client.get(response.url)
    assert "Import finished: 3 new, 0 changed, 0 unchanged." in [str(m) for m in page.context["messages"]]


def test_progress_is_committed_with_each_batch(curator, small_batches):
    job = jobs.job_claim()
    assert job is None
    queued_job(curator)
    seen = []

    def after_batch(job):
        seen.append((job.rows_done, job.created_count, len(written())))

    job = jobs.job_run(jobs.job_claim(), after_batch=after_batch)
    # After each batch the rows it counts, and only those, are in the directory.
    assert seen == [(3, 3, 3), (6, 6, 6), (7, 7, 7)]
    assert job.state == ImportJobState.DONE and job.percent == 100


def test_a_reimport_of_the_same_file_counts_its_rows_unchanged(curator, small_batches):
    queued_job(curator)
    jobs.run_queued()
    queued_job(curator)
    (job,) = jobs.run_queued()
    assert (job.state, job.created_count, job.unchanged_count) == (ImportJobState.DONE, 0, 7)


# --- A batch that fails ---------------------------------------------------------------------------

def test_a_row_no_longer_valid_stops_the_job_and_it_says_which_rows_were_written(curator_client, curator,
                                                                                small_batches):
    text = services_file(3) + services_file(4, start=3).split("\r\n", 1)[1]
    job = jobs.job_create(user=curator, kind=0, file_name="services.csv",
                          content=text.replace("job-group-4,Job group 4,acacia-family-support",
                                               "job-group-4,Job group 4,gone-since-the-preview"))
    (job,) = jobs.run_queued()
    # Batch 1 (file rows 2-4) is written; batch 2 (rows 5-7) held row 6, refused: none of it written.
    assert job.state == ImportJobState.FAILED and job.rows_done == 3
    assert written() == slugs(range(3))
    assert "Rows 2 to 4 were written and saved. Rows 5 to 8 were not written." in job.message
    assert job.problems == [[6, "organisation", "'gone-since-the-preview' is not a known organisation (slug)."]]
    content = curator_client.get(reverse("import-job", args=[job.pk])).content.decode()
    assert "The import stopped" in content and "Row 6, column ‘organisation’" in content
    assert "Stopped: 3 of 7 rows written" in content


def test_a_file_that_no_longer_reads_stops_the_job_and_writes_nothing(curator, small_batches):
    job = jobs.job_create(user=curator, kind=0, file_name="services.csv", content=services_file(5))
    ImportJob.objects.filter(pk=job.pk).update(content=services_file(5).replace("slug,", "colour,", 1))
    (job,) = jobs.run_queued()
    assert job.state == ImportJobState.FAILED and job.rows_done == 0
    assert "No row was written." in job.message
    assert written() == set()


def test_a_small_file_refused_at_confirmation_writes_nothing_and_says_why(curator_client, small_batches):
    preview = curator_client.post(IMPORT, {"format": "0", "resource": "0", "import_file": SimpleUploadedFile(
        "services.csv", services_file(2).encode(), content_type="text/csv")})
    form = preview.context["confirm_form"]
    Organisation.objects.filter(slug="acacia-family-support").update(slug="acacia-renamed")  # since the preview
    response = curator_client.post(PROCESS, {key: form.initial[key] for key in
                                             ("import_file_name", "original_file_name", "format", "resource")})
    page = curator_client.get(response.url)
    assert written() == set()
    assert any("Nothing was imported" in str(m) for m in page.context["messages"])
    assert "No row was written." in page.content.decode()


# --- Claims, silent workers, lost claims -------------------------------------------------------------

def test_a_job_is_claimed_once(curator):
    first, second = queued_job(curator), queued_job(curator)
    assert jobs.job_claim(worker="a").pk == first.pk  # oldest first
    assert jobs.job_claim(worker="b").pk == second.pk
    assert jobs.job_claim(worker="c") is None


def test_of_two_workers_that_saw_the_same_queued_job_one_takes_it(curator):
    job = queued_job(curator)
    now = timezone.now()
    assert jobs._take(job.pk, "token-a", "a", now) is True
    assert jobs._take(job.pk, "token-b", "b", now) is False
    job.refresh_from_db()
    assert (job.claim, job.worker, job.attempts) == ("token-a", "a", 1)


def test_a_job_whose_worker_went_silent_continues_from_its_first_unwritten_row(curator, small_batches, settings):
    job = queued_job(curator)
    claimed = jobs.job_claim()
    # The worker wrote batch 1 (by another route here: rows_done says so), then died.
    ImportJob.objects.filter(pk=job.pk).update(
        rows_done=3, heartbeat_at=timezone.now() - timedelta(seconds=settings.IMPORT_JOB_STALE_SECONDS + 1))
    (job,) = jobs.run_queued()
    assert job.state == ImportJobState.DONE and job.attempts == 2 and job.claim == ""
    assert written() == slugs(range(3, 7))  # rows 2-4 were not written again
    # The dead worker, come back, cannot commit another batch: its claim is gone.
    assert jobs.job_run(claimed).rows_done == 7 and written() == slugs(range(3, 7))


def test_a_job_that_stopped_its_worker_three_times_is_marked_stopped(curator, settings):
    job = queued_job(curator)
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJobState.RUNNING, attempts=3, rows_done=0,
        heartbeat_at=timezone.now() - timedelta(seconds=settings.IMPORT_JOB_STALE_SECONDS + 1))
    assert jobs.run_queued() == []
    job.refresh_from_db()
    assert job.state == ImportJobState.FAILED and "stopped 3 times" in job.message
    assert written() == set()


def test_a_running_job_with_a_recent_heartbeat_is_left_alone(curator):
    job = queued_job(curator)
    jobs.job_claim()
    assert jobs.jobs_reclaim_stale() == 0
    job.refresh_from_db()
    assert job.state == ImportJobState.RUNNING


def test_a_worker_that_lost_its_claim_writes_nothing(curator, small_batches):
    queued_job(curator)
    job = jobs.job_claim()
    ImportJob.objects.filter(pk=job.pk).update(claim="someone-elses")
    job = jobs.job_run(job)
    assert written() == set() and job.rows_done == 0


def test_the_scheduler_runs_queued_imports(curator, small_batches, monkeypatch):
    from directory.management.commands import runschedule

    monkeypatch.setattr(runschedule, "JOBS", ())
    queued_job(curator)
    call_command("runschedule", "--max-ticks", "1", stdout=io.StringIO())
    assert ImportJob.objects.get().state == ImportJobState.DONE and written() == slugs(range(7))


# --- Who may see or start a job, and forged ids -------------------------------------------------------

@pytest.mark.parametrize("person", ["viewer", "acacia_editor"])
def test_viewers_and_organisation_editors_may_neither_start_nor_see_a_job(client, curator, person, request):
    job = queued_job(curator)
    client.force_login(request.getfixturevalue(person))
    for url in (JOBS, reverse("import-job", args=[job.pk]), reverse("import-job-status", args=[job.pk])):
        assert client.get(url).status_code == 403, url
    response = client.post(PROCESS, {"import_file_name": "x", "original_file_name": "services.csv",
                                     "format": "0", "resource": "0"})
    assert response.status_code == 403
    assert ImportJob.objects.count() == 1


def test_an_imhsg_editor_sees_a_colleagues_job(client, curator, imhsg_editor):
    job = queued_job(curator)
    client.force_login(imhsg_editor)
    assert "cara" in client.get(reverse("import-job", args=[job.pk])).content.decode()
    assert reverse("import-job", args=[job.pk]) in client.get(JOBS).content.decode()


def test_signed_out_people_are_sent_to_sign_in(client, curator):
    job = queued_job(curator)
    for url in (JOBS, reverse("import-job", args=[job.pk]), reverse("import-job-status", args=[job.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response.url


@pytest.mark.parametrize("path", ["/admin/imports/999999/", "/admin/imports/999999/status.json",
                                  "/admin/imports/99999999999999999999999/", "/admin/imports/abc/",
                                  "/admin/imports/-1/"])
def test_a_forged_job_id_is_a_404(curator_client, path):
    assert curator_client.get(path).status_code == 404


def test_job_pages_answer_get_only(curator_client, curator):
    job = queued_job(curator)
    assert curator_client.post(reverse("import-job", args=[job.pk])).status_code == 405


# --- The job's page, its JSON and the list: what they say, and their queries ---------------------------

def test_the_status_json_says_where_the_job_is(curator_client, curator, small_batches):
    job = queued_job(curator)
    url = reverse("import-job-status", args=[job.pk])
    status = json.loads(curator_client.get(url).content)
    assert (status["state"], status["rows_done"], status["rows_total"], status["finished"]) == ("queued", 0, 7, False)
    jobs.run_queued()
    response = curator_client.get(url)
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    status = json.loads(response.content)
    assert (status["state"], status["rows_done"], status["percent"], status["created"]) == ("done", 7, 100, 7)
    assert "content" not in status


def test_the_job_page_has_a_live_region_and_works_without_script(curator_client, curator):
    job = queued_job(curator)
    content = curator_client.get(reverse("import-job", args=[job.pk])).content.decode()
    assert 'role="status" aria-live="polite"' in content
    assert f'href="{reverse("import-job", args=[job.pk])}">Check again</a>' in content
    assert "import-job.js" in content
    assert "job-group-0" not in content  # the file itself is never shown


def test_the_job_page_runs_a_fixed_number_of_queries(curator_client, curator, django_assert_num_queries):
    job = queued_job(curator)
    url = reverse("import-job", args=[job.pk])
    curator_client.get(url)
    # The session, the user, their two sets of permissions (who may import), the job with its
    # user; never the file's content.
    with django_assert_num_queries(5) as captured:
        curator_client.get(url)
    assert not any('"content"' in query["sql"] for query in captured.captured_queries)
    with django_assert_num_queries(5):
        curator_client.get(reverse("import-job-status", args=[job.pk]))


@pytest.mark.parametrize("count", [1, 12])
def test_the_list_of_jobs_runs_a_fixed_number_of_queries(curator_client, curator, django_assert_num_queries, count):
    for _ in range(count):
        queued_job(curator, count=2)
    curator_client.get(JOBS)
    with django_assert_num_queries(5):  # as the job's page: the jobs with their users in one query
        response = curator_client.get(JOBS)
    assert response.content.decode().count('href="/admin/imports/') == count


# --- Real separate connections: two workers, and readers between batches ------------------------------

def in_threads(count, work):
    """Run work() in `count` threads at once, each with its own database connection; their results."""
    import threading

    from django.db import connection

    barrier, results = threading.Barrier(count), [None] * count

    def run(index):
        try:
            barrier.wait(10)
            results[index] = work()
        except Exception as error:  # noqa: BLE001 - handed back to the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_workers_on_separate_connections_never_take_the_same_job(django_user_model):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; the conditional update is tested above")
    user = django_user_model.objects.create_user("cara-claims")
    made = [queued_job(user, count=1).pk for _ in range(3)]
    for _ in range(3):  # a few rounds: a race that loses once in a while still fails the test
        ImportJob.objects.update(state=ImportJobState.QUEUED, claim="")
        taken = in_threads(6, lambda: getattr(jobs.job_claim(), "pk", None))
        assert not [result for result in taken if isinstance(result, Exception)], taken
        assert sorted(pk for pk in taken if pk) == sorted(made)  # each job once, none twice
        assert taken.count(None) == 3


@pytest.mark.django_db(transaction=True)
def test_a_job_locked_by_one_worker_is_skipped_by_another_without_waiting(django_user_model):
    import time

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's")
    import psycopg2

    user = django_user_model.objects.create_user("cara-locks")
    first, second = queued_job(user, count=1), queued_job(user, count=1)
    settings = connection.settings_dict
    other = psycopg2.connect(dbname=settings["NAME"], user=settings["USER"], password=settings["PASSWORD"],
                             host=settings["HOST"] or None, port=settings["PORT"] or None)
    try:
        with other.cursor() as cursor:  # a worker on another machine, between its SELECT and its UPDATE
            cursor.execute("SELECT id FROM directory_importjob WHERE id = %s FOR UPDATE", [first.pk])
        started = time.monotonic()
        (taken,) = in_threads(1, lambda: jobs.job_claim().pk)
        assert taken == second.pk and time.monotonic() - started < 2
    finally:
        other.rollback()
        other.close()


@pytest.mark.django_db(transaction=True)
def test_each_batch_commits_so_readers_and_healthz_answer_between_batches(django_user_model, settings):
    from django.db import connection
    from django.test import Client

    settings.IMPORT_BATCH_ROWS, settings.IMPORT_BATCH_PAUSE = 2, 0
    from directory.seed.loader import load_seed

    load_seed()  # the transactional flush emptied it
    user = django_user_model.objects.create_superuser("cara-batches", "cara@example.org", "a-long-password-x")
    queued_job(user, count=5)
    seen = []

    def after_batch(job):
        assert not connection.in_atomic_block  # the batch is committed, no transaction is open
        # Another connection (another thread, as another process would) reads the rows written so
        # far, and /healthz answers, while the job is half-way.
        (reading,) = in_threads(1, lambda: (len(written()), Client().get("/healthz").status_code))
        seen.append((job.rows_done, reading))

    jobs.job_run(jobs.job_claim(), after_batch=after_batch)
    assert seen == [(2, (2, 200)), (4, (4, 200)), (5, (5, 200))]


def test_batches_are_sized_to_take_about_import_batch_seconds(curator, settings):
    """The first batch times a row; the next are as many rows as fit in IMPORT_BATCH_SECONDS (here
    less than any row takes: one row each), never more than IMPORT_BATCH_ROWS."""
    settings.IMPORT_BATCH_PAUSE = 0
    queued_job(curator, count=13)
    seen = []
    job = jobs.job_run(jobs.job_claim(), batch_rows=50, batch_seconds=0.000001,
                       after_batch=lambda job: seen.append(job.rows_done))
    assert seen == [10, 11, 12, 13] and job.state == ImportJobState.DONE
    queued_job(curator, count=13)
    seen.clear()
    jobs.job_run(jobs.job_claim(), batch_rows=4, batch_seconds=3600, after_batch=lambda job: seen.append(job.rows_done))
    assert seen == [4, 8, 12, 13]
