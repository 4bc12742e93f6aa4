"""The developers' page in a real browser, on a phone and a laptop, from the About page."""
import pytest
from playwright.sync_api import expect

from tests.conftest import assert_no_axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_developer_finds_the_api_from_the_about_page(page, seeded_live_server, viewport):
    page.set_viewport_size(viewport)
    page.goto(f"{seeded_live_server.url}/about/")
    page.get_by_role("link", name="the Open Referral API for developers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open data: the Open Referral API")
    screenshot(page, "api-docs")
    assert_no_axe_violations(page)
    with page.expect_response(lambda r: r.url.endswith("/api/services")) as info:
        page.get_by_role("link", name="/api/services").first.click()
    assert info.value.headers["access-control-allow-origin"] == "*"
