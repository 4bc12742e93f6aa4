"""Journey: anyone opens the directory and browses the published services."""
import pytest
from playwright.sync_api import expect

from tests.conftest import assert_no_axe_violations, screenshot

# Transactional, so pytest-django runs them after the tests that share the seeded database.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_leads_from_the_start_page_to_every_published_service(page, seeded_live_server, viewport):
    # Given the seed is loaded
    page.set_viewport_size(viewport)
    # When a person opens the start page
    page.goto(seeded_live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Services for babies and their parents in Birmingham")
    # And the open data is attributed in the footer
    expect(page.locator("footer").get_by_text("Contains OS data")).to_be_visible()
    screenshot(page, "home")
    assert_no_axe_violations(page)

    # Then they can browse all 25 published services, each with level, focus and ages
    page.get_by_role("link", name="Browse all 25 services").click()
    expect(page.get_by_role("heading", name="25 services found")).to_be_visible()
    card = page.locator(".app-card").filter(has_text="Community Perinatal Mental Health Team")
    expect(card.get_by_text("Specialist", exact=True)).to_be_visible()
    expect(card.get_by_text("Specialised", exact=True)).to_be_visible()
    expect(card.get_by_text("From pregnancy to 1 year")).to_be_visible()
    screenshot(page, "home-browse")
    assert_no_axe_violations(page)


def test_the_start_page_search_takes_a_postcode(page, seeded_live_server):
    page.goto(seeded_live_server.url + "/")
    page.get_by_label("Family's postcode").fill("b8 1aa")
    page.get_by_role("button", name="Find services").click()
    expect(page.get_by_text("Near B8 1AA (Hodge Hill)")).to_be_visible()
    assert_no_axe_violations(page)
