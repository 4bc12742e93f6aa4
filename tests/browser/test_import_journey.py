"""Journey (issue 20, item 7): a new curator imports referral routes from a CSV file with one
broken row. She sees what is wrong beside that row, in words, fixes the file, checks the preview
and confirms; on a phone and on a laptop, with an axe check on every page."""
import pytest
from playwright.sync_api import expect

from directory.models import ReferralRoute, Service
from tests.browser.test_curator_journey import sign_in_as_cara
from tests.conftest import assert_no_axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "id,service,referrer,method,how_to_refer,waiting_time\r\n"
GOOD = ",acacia,self,phone,Ring the team on the number on their website.,About two weeks\r\n"
BROKEN = ",acacia,anyone,phone,Ask at the front desk.,\r\n"
FIXED = ",acacia,professional,phone,Ask at the front desk.,\r\n"


def upload(page, text):
    page.get_by_label("What the file holds").select_option(label="Referral routes (one row per route, keyed by id)")
    page.set_input_files("#id_import_file", files=[
        {"name": "routes.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8")}])
    page.get_by_role("button", name="Check the file").click()


def test_a_curator_fixes_a_broken_row_and_imports_routes(page, seeded_live_server, curator, viewport):
    # Given Cara, new to curating, on the import page
    page.set_viewport_size(viewport)
    sign_in_as_cara(page, seeded_live_server)
    page.goto(seeded_live_server.url + "/admin/directory/service/import/")
    expect(page.get_by_role("heading", name="Upload a CSV file")).to_be_visible()
    assert_no_axe_violations(page)
    routes_before = ReferralRoute.objects.filter(service__slug="acacia").count()

    # When she uploads routes with one broken row
    upload(page, HEADER + GOOD + BROKEN)

    # Then the page says nothing was imported, and why, beside row 3
    summary = page.get_by_role("alert").filter(has_text="Nothing was imported")
    expect(summary).to_contain_text("1 row of 2 needs fixing")
    row = page.locator("#row-3")
    expect(row.get_by_role("heading")).to_have_text("Row 3: acacia: anyone — Refused")
    expect(row).to_contain_text("Column ‘referrer’: 'anyone' is not a kind of referrer. Use one of: self, "
                                "professional, automatic.")
    expect(page.locator("#row-2")).to_contain_text("Will be added")
    # The summary's link takes her to the row.
    summary.get_by_role("link", name="Row 3: acacia: anyone").click()
    expect(page).to_have_url(seeded_live_server.url + "/admin/directory/service/import/#row-3")
    # Nothing wider than the screen: the preview is read without scrolling sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    screenshot(page, "admin-import-routes-refused")
    assert_no_axe_violations(page)
    assert ReferralRoute.objects.filter(service__slug="acacia").count() == routes_before

    # When she fixes the row and uploads the file again
    upload(page, HEADER + GOOD + FIXED)

    # Then she sees what will be added, and confirms
    expect(page.get_by_role("heading", name="Check what will change, then confirm")).to_be_visible()
    expect(page.locator(".app-import-counts")).to_contain_text("2 rows of referral routes: 2 to add, 0 to change, "
                                                                "0 unchanged, 0 refused.")
    page.locator("#row-3 summary").click()
    expect(page.locator("#row-3")).to_contain_text("Ask at the front desk.")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    screenshot(page, "admin-import-routes-preview")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Confirm import").click()

    # And the routes are the service's, the service's history says so
    expect(page.locator(".messagelist")).to_contain_text("2 new")
    assert_no_axe_violations(page)
    assert ReferralRoute.objects.filter(service__slug="acacia").count() == routes_before + 2
    service = Service.objects.get(slug="acacia")
    page.goto(seeded_live_server.url + f"/admin/directory/service/{service.pk}/history/")
    related = page.locator("#related-history")
    expect(related).to_contain_text("Added the referral route 'Professional referral'")
    expect(related).to_contain_text("by cara")
    screenshot(page, "admin-service-history-routes")
    assert_no_axe_violations(page)
