"""Journey: anyone opens the directory and sees the published services."""
import pytest

from tests.conftest import assert_no_axe_violations, screenshot

pytestmark = pytest.mark.browser


def test_it_lists_published_services_with_level_focus_and_ages(page, seeded_live_server, viewport):
    # Given the seed is loaded
    page.set_viewport_size(viewport)
    # When a person opens the home page
    page.goto(seeded_live_server.url + "/")
    # Then they see all 25 published services, each with level, focus and ages
    assert page.get_by_role("heading", name="25 services").is_visible()
    card = page.locator(".app-card").filter(has_text="Community Perinatal Mental Health Team")
    assert card.get_by_text("Specialist", exact=True).is_visible()
    assert card.get_by_text("Specialised", exact=True).is_visible()
    assert card.get_by_text("From pregnancy to 1 year").is_visible()
    # And the open data is attributed in the footer
    assert page.locator("footer").get_by_text("Contains OS data").is_visible()
    screenshot(page, "home")
    assert_no_axe_violations(page)
