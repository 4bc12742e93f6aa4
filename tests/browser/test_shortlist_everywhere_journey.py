"""Issue 22, the practitioners' journey fixes: the shortlist one link away from every page, a
"Copy link" button for the share link, languages with no service folded away, and keywords
suggested as the practitioner types."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import SCREENSHOTS, assert_no_axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ACACIA = "Acacia"


def header_shortlist(page):
    """The header's shortlist link, opening the header's "More" menu first where a phone folds it away."""
    link = page.locator("header.nhsuk-header").get_by_role("link", name=re.compile(r"^Your shortlist"))
    if not link.is_visible():
        page.locator("header.nhsuk-header").get_by_role("button", name="Browse More").click()
    expect(link).to_be_visible()
    return link


def shot(locator, name, width):
    SCREENSHOTS.mkdir(exist_ok=True)
    locator.screenshot(path=SCREENSHOTS / f"{name}-{width}.png")


def test_the_shortlist_is_one_link_away_and_its_link_copies(page, seeded_live_server, viewport):
    page.set_viewport_size(viewport)
    width = viewport["width"]
    base = seeded_live_server.url
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)

    # Given a practitioner on a service page, with nothing on their shortlist yet
    page.goto(base + "/services/acacia/")
    expect(header_shortlist(page)).to_have_text("Your shortlist (0)")
    page.keyboard.press("Escape")
    # When they add the service to the shortlist
    page.get_by_role("button", name=f"Add {ACACIA} to shortlist").click()
    expect(page.get_by_text(f"{ACACIA} is on your shortlist.")).to_be_visible()
    # Then the header counts it
    expect(header_shortlist(page)).to_have_text("Your shortlist (1)")
    shot(page.locator("header.nhsuk-header"), "issue22-header-service", width)
    assert_no_axe_violations(page)

    # When they read the about page, then follow the header's link from there
    page.goto(base + "/about/")
    link = header_shortlist(page)
    expect(link).to_have_text("Your shortlist (1)")
    shot(page.locator("header.nhsuk-header"), "issue22-header-about", width)
    assert_no_axe_violations(page)
    link.click()

    # Then the shortlist shows the service, and the header marks where they are
    expect(page).to_have_title("Your shortlist - Birmingham parent-infant support directory")
    assert page.locator(".app-handout__item h2").all_inner_texts() == [ACACIA]
    expect(page.locator('header a[aria-current="page"]')).to_have_text("Your shortlist (1)")
    share = page.get_by_label("Link to this list (works on any device)")
    share_url = share.input_value()
    assert re.fullmatch(re.escape(base) + r"/shortlist/\?services=\d+", share_url)

    # When they copy the share link
    status = page.locator("#share-link-status")
    expect(status).to_have_text("")
    page.get_by_role("button", name="Copy link").click()
    # Then the page says so, in a live region, and the link is on the clipboard
    expect(status).to_have_text("Copied. The link is ready to paste into a message or email.")
    expect(status).to_have_attribute("role", "status")
    assert page.evaluate("navigator.clipboard.readText()") == share_url
    screenshot(page, "issue22-shortlist-copied")
    shot(page.locator(".app-copy-link"), "issue22-copy-link", width)
    assert_no_axe_violations(page)

    # When they search with the keywords box, which suggests the directory's own words
    page.goto(base + "/search/")
    box = page.get_by_label("Keywords")
    expect(box).to_have_attribute("list", "keyword-suggestions")
    suggestions = page.locator("datalist#keyword-suggestions option")
    values = suggestions.evaluate_all("options => options.map(o => o.value)")
    assert ACACIA in values and "Hodge Hill" in values and "Perinatal mental health, moderate to severe" in values
    assert len(values) <= 300
    box.fill("Acacia")
    page.get_by_role("button", name="Search", exact=True).click()
    # Then the service is found, and shown as on the shortlist
    card = page.locator(".app-card").filter(has_text=ACACIA).first
    expect(card.get_by_text("On your shortlist")).to_be_visible()

    # And the language filter folds away the languages no service records, with the reason
    page.get_by_role("link", name=re.compile("Change the search or filters")).click()
    page.locator("summary").filter(has_text=re.compile(r"^Language$")).click()
    folded = page.locator("summary").filter(has_text="Languages (no services in this search)")
    expect(folded).to_be_visible()
    expect(page.get_by_label(re.compile("^Urdu"))).not_to_be_visible()
    folded.click()
    expect(page.get_by_label(re.compile("^Urdu"))).to_be_visible()
    shot(page.locator("#search-form"), "issue22-filter-panel", width)
    screenshot(page, "issue22-search")
    assert_no_axe_violations(page)


def test_without_javascript_the_share_link_is_still_there_to_select(browser, seeded_live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(seeded_live_server.url + "/services/acacia/")
    page.get_by_role("button", name=f"Add {ACACIA} to shortlist").click()
    page.goto(seeded_live_server.url + "/shortlist/")
    expect(page.get_by_label("Link to this list (works on any device)")).to_be_visible()
    expect(page.get_by_role("button", name="Copy link")).to_be_hidden()  # it could not work without a script
    expect(page.locator("header").get_by_role("link", name="Your shortlist (1)")).to_be_visible()
    context.close()  # (axe needs JavaScript: the journey above checks these pages with it)


def test_every_practitioners_page_carries_the_link_and_the_home_page_suggests_keywords(page, seeded_live_server, viewport):
    page.set_viewport_size(viewport)
    width = viewport["width"]
    base = seeded_live_server.url
    # Given a practitioner with a service on their shortlist
    page.goto(base + "/services/acacia/")
    page.get_by_role("button", name=f"Add {ACACIA} to shortlist").click()
    # Then the start page, the map and the need page all lead to it, with its count
    for path, name in (("/", "home"), ("/map/", "map"), ("/needs/", "needs")):
        page.goto(base + path)
        expect(header_shortlist(page)).to_have_text("Your shortlist (1)")
        page.keyboard.press("Escape")
        shot(page.locator("header.nhsuk-header"), f"issue22-header-{name}", width)
        assert_no_axe_violations(page)
    # And the start page's keywords box suggests the directory's words, and searches with them
    page.goto(base + "/")
    box = page.get_by_label("Keywords")
    expect(box).to_have_attribute("list", "keyword-suggestions")
    assert page.locator("datalist#keyword-suggestions option[value='Hodge Hill']").count() == 1
    box.fill("perinatl")
    page.get_by_label("Family's postcode").fill("B8 1AA")
    screenshot(page, "issue22-home")
    page.get_by_role("button", name="Find services").click()
    expect(page.get_by_role("link", name="Remove filter: Near B8 1AA (Hodge Hill)")).to_be_visible()
    expect(page.locator(".app-card").first).to_be_visible()
    assert_no_axe_violations(page)
