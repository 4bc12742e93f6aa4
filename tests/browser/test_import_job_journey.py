"""Journey (issue 26, docs/adr/0026): a curator imports a file larger than one batch. After the
preview she confirms; the import waits for the importer, which writes it in batches outside her
request, and the job's page follows it to the end without a reload; on a phone and on a laptop,
with an axe check on every page."""
import csv
import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from directory.models import ImportJob, Service
from tests.browser.test_curator_journey import sign_in_as_cara
from tests.conftest import assert_no_axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def services_file(count):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["slug", "name", "organisation", "status", "summary", "levels", "focus", "age_range",
                     "age_from_months", "age_to_months", "no_referral_route_reason"])
    for number in range(count):
        writer.writerow([f"journey-group-{number}", f"Journey group {number}", "acacia-family-support", "draft",
                         "A weekly group for parents and babies.", "universal", "additional", "range", "0", "12",
                         "Drop in: no referral needed."])
    return out.getvalue()


def test_a_curator_follows_a_large_import_to_the_end(page, seeded_live_server, curator, viewport, settings):
    settings.IMPORT_BATCH_ROWS = settings.IMPORT_IN_REQUEST_ROWS = 4
    settings.IMPORT_BATCH_PAUSE = 0
    # Given Cara on the import page, with a file of 10 services (more than one batch of 4)
    page.set_viewport_size(viewport)
    sign_in_as_cara(page, seeded_live_server)
    page.goto(seeded_live_server.url + "/admin/directory/service/import/")
    page.get_by_label("What the file holds").select_option(index=0)
    page.set_input_files("#id_import_file", files=[
        {"name": "new-groups.csv", "mimeType": "text/csv", "buffer": services_file(10).encode("utf-8")}])
    page.get_by_role("button", name="Check the file").click()

    # When she reads the preview, which says plainly how a large file is written, and confirms
    expect(page.get_by_role("heading", name="Check what will change, then confirm")).to_be_visible()
    batches = page.locator(".app-import-batches")
    expect(batches).to_contain_text("This file has more than 4 rows, so it will be written in the background")
    expect(batches).to_contain_text("the batches before it stay saved")
    screenshot(page, "admin-import-preview-in-batches")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Confirm import").click()

    # Then the job's page says it is waiting, and nothing is written yet
    job = ImportJob.objects.get()
    expect(page).to_have_url(f"{seeded_live_server.url}/admin/imports/{job.pk}/")
    status = page.get_by_role("status")
    expect(status).to_have_text("Waiting for the importer to start.")
    expect(page.locator(".messagelist")).to_contain_text("The file's 10 rows are waiting to be imported")
    screenshot(page, "admin-import-job-queued")
    assert_no_axe_violations(page)
    assert not Service.objects.filter(slug__startswith="journey-group-").exists()

    # When the importer runs (as the scheduler or `runimports` would, here in the test's process)
    call_command("runimports", "--once", stdout=io.StringIO())

    # Then the page, without a reload, says every row is imported, and offers the full result
    expect(status).to_have_text("Finished: all 10 rows imported (10 added, 0 changed, 0 unchanged).",
                                timeout=15_000)
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "10")
    assert Service.objects.filter(slug__startswith="journey-group-").count() == 10
    page.get_by_role("link", name="See the result").click()
    expect(page.locator(".app-import-job-counts")).to_contain_text("Added")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    screenshot(page, "admin-import-job-done")
    assert_no_axe_violations(page)

    # And the list of recent imports links to it
    page.get_by_role("link", name="All recent imports").click()
    expect(page.get_by_role("link", name=f"Import {job.pk}")).to_be_visible()
    screenshot(page, "admin-import-jobs")
    assert_no_axe_violations(page)
