"""Journey 1: a health visitor finds services for a family, checks one, shortlists two and prints.

"Baby of 4 months, lives in B8, mum has severe perinatal mental health difficulties."
"""
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.conftest import assert_no_axe_violations, screenshot

# transaction=True tells pytest-django to run these after the tests that roll back (the
# live server flushes the database), on PostgreSQL as on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CPMHT = "Community Perinatal Mental Health Team"
HEALTH_VISITING = "Birmingham Forward Steps: Health Visiting"


def test_it_finds_checks_shortlists_and_prints(page, seeded_live_server, viewport):
    page.set_viewport_size(viewport)
    # Given a practitioner on the search page
    page.goto(seeded_live_server.url + "/search/")
    expect(page).to_have_title("Find a service - Birmingham parent-infant support directory")
    assert_no_axe_violations(page)

    # When they search by postcode, age band and need
    page.get_by_label("Family's postcode").fill("b8 1aa")
    page.get_by_label("Baby's age or stage of pregnancy").select_option(value="3-6")
    page.locator("summary").filter(has_text="What the family is facing").click()
    page.get_by_label("Perinatal mental health, moderate to severe").check()
    page.get_by_role("button", name="Search", exact=True).click()

    # Then the perinatal team is found, with its level, focus and how to refer
    expect(page.get_by_role("heading", name="1 service found")).to_be_visible()
    card = page.locator(".app-card").filter(has_text=CPMHT)
    expect(card.get_by_text("Referral by a professional.", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Remove filter: Near B8 1AA (Hodge Hill)")).to_be_visible()
    screenshot(page, "journey-1-search")
    assert_no_axe_violations(page)

    # When they add it to the shortlist, they come back to the same results
    card.get_by_role("button", name=f"Add {CPMHT} to shortlist").click()
    expect(page.get_by_text(f"{CPMHT} is on your shortlist.")).to_be_visible()
    assert "age" not in page.url or "stage=3-6" in page.url

    # And they open the service page: the referral pathway comes first
    page.get_by_role("link", name=CPMHT).click()
    expect(page).to_have_title(f"{CPMHT} - Birmingham parent-infant support directory")
    headings = page.locator("main h2").all_inner_texts()
    assert headings.index("How to refer") < headings.index("What it offers")
    screenshot(page, "journey-2-service")
    assert_no_axe_violations(page)

    # And they follow "Right Help, Right Time" one step down and shortlist that too
    page.get_by_role("link", name=HEALTH_VISITING).click()
    page.get_by_role("button", name=f"Add {HEALTH_VISITING} to shortlist").click()
    expect(page.get_by_text(f"{HEALTH_VISITING} is on your shortlist.")).to_be_visible()
    # Then the shortlist has both, with a link to share it
    page.get_by_role("link", name="Go to your shortlist").click()
    expect(page).to_have_title("Your shortlist - Birmingham parent-infant support directory")
    assert page.locator(".app-handout__item h2").all_inner_texts() == [CPMHT, HEALTH_VISITING]
    share_url = page.get_by_label("Link to this list (works on any device)").input_value()
    screenshot(page, "journey-3-shortlist")
    assert_no_axe_violations(page)

    # And the print view is a clean handout: no header, footer or buttons, with the date
    page.emulate_media(media="print")
    expect(page.locator("header.nhsuk-header")).not_to_be_visible()
    expect(page.get_by_role("button", name="Print this list")).not_to_be_visible()
    expect(page.get_by_text("See this list online")).to_be_visible()
    screenshot(page, "journey-4-print")
    page.emulate_media(media="screen")

    # And the share link shows the same list on another device (a fresh context, no cookie)
    other = page.context.browser.new_page(viewport=viewport)
    other.goto(share_url)
    assert other.locator(".app-handout__item h2").all_inner_texts() == [CPMHT, HEALTH_VISITING]
    assert_no_axe_violations(other)
    other.close()


def test_it_works_without_javascript(browser, seeded_live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(seeded_live_server.url + "/search/?age=abc&need=send")
    expect(page).to_have_title("Error: Find a service - Birmingham parent-infant support directory")
    expect(page.get_by_role("link", name="Enter the baby's age in whole months, from -9 to 24.", exact=False)).to_be_visible()
    page.get_by_role("button", name="Add Early Years Inclusion Support (EYIS) to shortlist").click()
    page.goto(seeded_live_server.url + "/shortlist/")
    assert page.locator(".app-handout__item h2").all_inner_texts() == ["Early Years Inclusion Support (EYIS)"]
    context.close()


def test_a_practitioner_searches_in_their_own_words_and_keeps_the_search(page, seeded_live_server, viewport):
    """Issue 11: results first, one submit button, "dad" and "B8" understood, best fit first,
    and the service page leads back to the same results."""
    page.set_viewport_size(viewport)
    # Given a practitioner on the search page
    page.goto(seeded_live_server.url + "/search/")
    # Then the results start near the top, even on a phone, and the filters are one tap away
    heading = page.locator("#results-heading").bounding_box()
    assert heading["y"] < 600
    assert page.locator("#search-form button[type=submit]").count() == 1
    page.get_by_role("link", name="Change the search or filters").click()
    assert page.url.endswith("#search-form")

    # When they type the words families use, and just the first part of the postcode
    page.get_by_label("Keywords").fill("dad")
    page.get_by_label("Family's postcode").fill("B8")
    page.get_by_label("Or the exact age in months").fill("4")
    page.get_by_role("button", name="Search", exact=True).click()
    # Then Acacia (for fathers, mild to moderate perinatal mental health) is found near B8
    expect(page.get_by_role("link", name="Remove filter: Near B8 (Hodge Hill; distances approximate)")).to_be_visible()
    card = page.locator(".app-card").filter(has_text="Acacia")
    expect(card.get_by_text("City-wide, so it covers Hodge Hill.")).to_be_visible()
    screenshot(page, "search-dad-b8")
    assert_no_axe_violations(page)

    # When they open it, its ladder reaches the perinatal team one step up
    search_url = page.url
    card.get_by_role("link", name="Acacia").click()
    expect(page.get_by_role("link", name=CPMHT)).to_be_visible()
    screenshot(page, "service-acacia-from-search")
    assert_no_axe_violations(page)
    # And "Back to your results" returns to the same search
    page.get_by_role("link", name="Back to your results").click()
    # (empty fields the form sent are left out: the same search)
    assert parse_qs(urlsplit(page.url).query) == parse_qs(urlsplit(search_url).query)
    expect(page.get_by_label("Keywords")).to_have_value("dad")


def test_best_match_puts_known_ages_first_with_counts_on_options(page, seeded_live_server, viewport):
    page.set_viewport_size(viewport)
    page.goto(seeded_live_server.url + "/search/?postcode=B8+1AA&age=4")
    first = page.locator(".app-card").first
    expect(first).not_to_contain_text("Age range not recorded")
    expect(page.locator(".app-card").filter(has_text="New Baby Network")
           .get_by_text("Age range not recorded, so it is included")).to_be_visible()
    page.locator("summary").filter(has_text="What the family is facing").click()
    expect(page.get_by_label("Fathers and co-parents")).to_be_visible()
    expect(page.locator("label[for^=id_need]").filter(has_text="Fathers and co-parents")).to_contain_text("(1")
    screenshot(page, "search-best-match")
    assert_no_axe_violations(page)
