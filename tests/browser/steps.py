"""Steps the browser journeys share."""
from playwright.sync_api import expect

from tests.conftest import assert_no_axe_violations, screenshot

PASSWORD = "a-long-password-for-tests"


def sign_in(page, server, username, password=PASSWORD):
    """Sign in to the admin with a password only (two-factor is off unless a test turns it on).
    `server` is the live server or its address."""
    base = getattr(server, "url", server)
    page.context.clear_cookies()
    page.goto(base + "/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def check(page, name):
    """A screenshot for a person to look at, then the axe check."""
    screenshot(page, name)
    assert_no_axe_violations(page)
