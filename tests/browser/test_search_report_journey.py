"""Issue 22, item 2, in a browser: a practitioner's search finds nothing, a parent looks for a
topic in a language no service offers, and an IMHSG editor finds both on the curation dashboard
under "What people searched for", opens the list of searches that found nothing, and downloads
it as a spreadsheet. Each page is screenshotted at phone and desktop widths and checked with axe.
"""
import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from directory.models import SearchRecord
from directory.search.record import PRACTITIONERS
from tests.browser.steps import check, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_imhsg_editor_finds_a_search_that_found_nothing_and_downloads_the_list(
        page, seeded_live_server, imhsg_editor, viewport):
    page.set_viewport_size(viewport)
    url = seeded_live_server.url
    # Earlier searches: the same words last week, and one from long ago that the last 30 days leave out.
    SearchRecord.objects.create(day=timezone.localdate() - timedelta(days=6), audience=PRACTITIONERS,
                                query="baby massage", filters="district=hodge-hill", results=0, searches=3)
    SearchRecord.objects.create(day=timezone.localdate() - timedelta(days=80), audience=PRACTITIONERS,
                                query="long ago", results=0, searches=40)

    # Given a practitioner whose search, from the family's postcode, finds nothing
    page.goto(url + "/search/")
    page.get_by_label("Keywords").fill("Baby  MASSAGE")
    page.get_by_label("Family's postcode").fill("b8 1aa")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", name="0 services found")).to_be_visible()
    # and a parent who asks for a topic in a language no service is recorded for
    page.goto(url + "/parents/topics/feeling-low/?age=4&language=so")

    # When an IMHSG editor opens the curation dashboard from the admin home
    sign_in(page, url, imhsg_editor.username)
    page.get_by_role("link", name="Curation dashboard").click()
    panel = page.locator("section.app-searches")
    expect(panel.get_by_role("heading", name="What people searched for")).to_be_visible()

    # Then the practitioner's search is the most made of those that found nothing, in words, without the postcode
    none = panel.locator("#searches-none tbody tr")
    expect(none.first).to_contain_text("baby massage")
    expect(none.first).to_contain_text("District: Hodge Hill")
    expect(none.first).to_contain_text("4")  # three last week, one today
    expect(panel).not_to_contain_text("long ago")
    expect(panel).not_to_contain_text("B8 1AA")
    expect(panel.locator("#search-totals").get_by_role("row", name="Parents and carers")).to_contain_text("1")
    panel.scroll_into_view_if_needed()
    check(page, "search-report-1-dashboard")

    # When she opens every search that found nothing, then the parent's is there, its answers in words
    panel.get_by_role("link", name="Every search that found nothing in the last 30 days").click()
    expect(page.get_by_role("heading", name="What people searched for")).to_be_visible()
    rows = page.locator("#search-list tbody tr")
    expect(rows).to_have_count(2)
    parents = rows.filter(has_text="Parents and carers")
    expect(parents).to_contain_text("Topic: Feeling low, anxious or overwhelmed")
    expect(parents).to_contain_text("Language: Somali")
    expect(parents).to_contain_text("Age: 4 months old")
    check(page, "search-report-2-list")

    # And with the last 90 days chosen, the older search is there too
    page.get_by_label("Period").select_option(label="Last 90 days")
    page.get_by_role("button", name="Show searches").click()
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("long ago")

    # And the spreadsheet has the same searches, the filters respected, no postcode in it
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download these searches as a spreadsheet (CSV)").click()
    with open(downloading.value.path(), encoding="utf-8-sig") as file:
        header, *lines = list(csv.reader(io.StringIO(file.read())))
    assert header[:3] == ["Who searched", "Keywords", "Filters"]
    assert sorted(line[1] for line in lines) == ["", "baby massage", "long ago"]
    assert "b8 1aa" not in str(lines).lower()
    check(page, "search-report-3-list-90-days")
