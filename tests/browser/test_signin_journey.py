"""Issue 18, item 5, in a browser with two-factor sign-in on: an IMHSG editor makes a set-up link
for a new colleague, who sets up an authenticator app with it (the key shown once); a colleague
locked out by wrong passwords is unlocked by an IMHSG editor. Screenshots of every page changed or
added, each checked with axe and under the content security policy."""
import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.conftest import assert_no_axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-password-for-tests"


def code_for(device):
    device.refresh_from_db()
    device.throttle_reset()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def check(page, name):
    """Screenshot, then axe, then no policy violation reported."""
    screenshot(page, name)
    assert_no_axe_violations(page)
    assert page.evaluate("window.cspViolations") == [], name


@pytest.fixture
def watched(page, viewport):
    page.set_viewport_size(viewport)
    page.add_init_script("window.cspViolations = []; document.addEventListener('securitypolicyviolation', "
                         "function (e) { window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI); });")
    return page


@pytest.fixture
def two_factor_on(settings):
    settings.REQUIRE_2FA = True


def sign_in(page, url, username, password=PASSWORD):
    page.goto(url + "/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Log in").click()


def sign_in_with_code(page, url, user):
    device = TOTPDevice.objects.create(user=user, name="Ellie's phone", confirmed=True)
    sign_in(page, url, user.username)
    expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
    check(page, "signin-verify")
    page.get_by_label("The 6-digit code from your authenticator app").fill(code_for(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Keep the directory true")).to_be_visible()


def test_a_new_colleague_sets_up_two_factor_with_a_link_an_imhsg_editor_made(
        watched, seeded_live_server, two_factor_on, imhsg_editor, acacia_editor, browser, viewport, settings):
    page, url = watched, seeded_live_server.url
    # Links start with the site's public address (SITE_URL), never the request's host: here, this server.
    settings.SITE_URL = url
    # Given Ellie, an IMHSG editor, has signed in with her code
    sign_in_with_code(page, url, imhsg_editor)
    check(page, "signin-admin-home")
    # When she makes a set-up link for Omar, who has just joined
    page.get_by_role("link", name="Two-factor set-up links").click()
    expect(page.get_by_role("heading", name="Two-factor set-up links")).to_be_visible()
    check(page, "signin-issue-link")
    page.get_by_label("Who is the link for?").select_option(label="omar")
    page.get_by_role("button", name="Make a link").click()
    link = page.get_by_label("Set-up link").input_value().strip()
    assert link.startswith(url + "/admin/2fa/enrol/")
    check(page, "signin-link-made")

    # Then Omar, signed in with his password only, is asked for a link, and nothing is set up
    context = browser.new_context(viewport=viewport)
    omar = context.new_page()
    omar.add_init_script("window.cspViolations = [];")
    sign_in(omar, url, "omar")
    expect(omar.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(omar.get_by_text("ask an IMHSG editor or a superuser")).to_be_visible()
    assert not TOTPDevice.objects.filter(user=acacia_editor).exists()
    check(omar, "signin-setup-needs-link")

    # With the link, he sees the key once
    omar.goto(link)
    expect(omar.locator(".app-qr svg")).to_be_visible()
    check(omar, "signin-setup-key")
    device = TOTPDevice.objects.get(user=acacia_editor, confirmed=False)
    # A wrong code brings back the code box, not the key
    omar.get_by_label("The 6-digit code from your authenticator app").fill("000000" if code_for(device) != "000000" else "111111")
    omar.get_by_role("button", name="Confirm and continue").click()
    expect(omar.get_by_role("alert")).to_contain_text("not right")
    expect(omar.locator(".app-qr")).to_have_count(0)
    check(omar, "signin-setup-code-only")
    omar.get_by_label("The 6-digit code from your authenticator app").fill(code_for(device))
    omar.get_by_role("button", name="Confirm and continue").click()
    expect(omar.get_by_role("heading", name="Keep the directory true")).to_be_visible()

    # And the link does nothing a second time
    omar.goto(link)
    expect(omar.get_by_role("alert")).to_contain_text("already been used")
    check(omar, "signin-link-used")
    context.close()


def test_an_imhsg_editor_unlocks_a_colleague_locked_out_by_wrong_passwords(
        watched, seeded_live_server, two_factor_on, imhsg_editor, viewer, browser, viewport, settings):
    page, url = watched, seeded_live_server.url
    # Given Vic's account is locked after wrong passwords from his address
    context = browser.new_context(viewport=viewport)
    vic = context.new_page()
    vic.add_init_script("window.cspViolations = [];")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(vic, url, "vic", "not-my-password")
    expect(vic.get_by_role("heading", name="Sign-in is locked for now")).to_be_visible()
    check(vic, "signin-locked-out")

    # When Ellie, an IMHSG editor, unlocks him under Access attempts
    sign_in_with_code(page, url, imhsg_editor)
    page.get_by_role("link", name="Access attempts").first.click()
    expect(page.get_by_text("Locked: this account from this address")).to_be_visible()
    check(page, "signin-access-attempts")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("unlock")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Unlocked 1: vic from 127.0.0.1")
    check(page, "signin-unlocked")

    # Then Vic signs in with his password again (and is asked to set up two-factor sign-in)
    sign_in(vic, url, "vic")
    expect(vic.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    context.close()
